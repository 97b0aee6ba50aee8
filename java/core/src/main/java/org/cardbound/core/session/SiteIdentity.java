package org.cardbound.core.session;

import java.security.PrivateKey;
import java.util.List;
import org.cardbound.core.Algorithm;

// The site's signing key, its algorithm and its certificate chain (leaf
// first, DER): what signs challenges, receipts and presence challenges.
public record SiteIdentity(PrivateKey key, Algorithm algorithm, List<byte[]> chain) {
    public SiteIdentity {
        chain = List.copyOf(chain);
        if (chain.isEmpty()) throw new IllegalArgumentException("the site's certificate chain is empty");
    }
}

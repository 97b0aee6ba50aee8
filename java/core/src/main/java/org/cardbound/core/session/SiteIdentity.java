package org.cardbound.core.session;

import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.cardbound.core.Algorithm;

// The site's signing key, its algorithm and its certificate chain (leaf
// first, DER): what signs challenges, receipts and presence challenges.
public record SiteIdentity(PrivateKey key, Algorithm algorithm, List<byte[]> chain) {
    public SiteIdentity {
        chain = List.copyOf(chain);
        if (chain.isEmpty()) throw new IllegalArgumentException("the site's certificate chain is empty");
    }

    // A site's TLS key and chain (leaf first), signing with the algorithm its
    // key implies (RS256, or ES256/384/512 by curve), as cardbound-server does.
    public static SiteIdentity of(PrivateKey key, List<X509Certificate> chain) {
        if (chain.isEmpty()) throw new IllegalArgumentException("the site's certificate chain is empty");
        X509Certificate leaf = chain.get(0);
        Algorithm algorithm = Algorithm.defaultFor(leaf.getPublicKey()).orElseThrow(() -> new IllegalArgumentException(
                "the site's key must be RSA or EC on P-256, P-384 or P-521, not " + leaf.getPublicKey().getAlgorithm()));
        if (!key.getAlgorithm().equals(leaf.getPublicKey().getAlgorithm()))
            throw new IllegalArgumentException("the site's private key is not the key of its certificate");
        List<byte[]> der = new ArrayList<>();
        for (X509Certificate c : chain) {
            try {
                der.add(c.getEncoded());
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException("a certificate of the site's chain cannot be encoded", e);
            }
        }
        return new SiteIdentity(key, algorithm, der);
    }
}

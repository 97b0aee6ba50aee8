package org.cardbound.core.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.cardbound.core.Algorithm;

// A token under validation, and what the checks learn about it on the way,
// in the order of the table: the form (rule 1), the algorithm (2), the
// certificate (4), the path from the card to its top anchor (8).
public final class Candidate {
    public final JsonNode json;
    public final String origin; // the site's origin, the token must be for
    public final String nonce; // the server nonce, the token must sign
    public final Instant at; // the one clock: certificates and CRLs alike

    public AuthToken token;
    public Algorithm algorithm;
    public X509Certificate certificate;
    // Leaf first, then its issuers up to the top trust anchor (the last).
    public List<X509Certificate> path;

    public Candidate(JsonNode json, String origin, String nonce, Instant at) {
        this.json = json;
        this.origin = origin;
        this.nonce = nonce;
        this.at = at;
    }

    public PublicKey key() {
        return certificate.getPublicKey();
    }
}

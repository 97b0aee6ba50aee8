package org.cardbound.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.PrivateKey;
import java.security.PublicKey;

// The server's signed presence challenge, `cardbound-presence-challenge:1`
// (docs/protocol.md §4.3).
public record PresenceChallenge(
        String origin,
        String sessionTag,
        String nonce,
        String issuedAt,
        String expiresAt,
        Algorithm signatureAlgorithm,
        byte[] signature) {
    public static final String FORMAT = "cardbound-presence-challenge:1";

    public String signingInput() {
        return SigningInput.lines(FORMAT, origin, sessionTag, nonce, issuedAt, expiresAt);
    }

    public PresenceChallenge signedWith(PrivateKey key, Algorithm alg) {
        return new PresenceChallenge(origin, sessionTag, nonce, issuedAt, expiresAt, alg,
                MessageSignatures.sign(key, alg, signingInput()));
    }

    public boolean verify(PublicKey key) {
        return MessageSignatures.verify(key, signatureAlgorithm, signingInput(), signature);
    }

    public ObjectNode toJson() {
        ObjectNode j = Json.mapper().createObjectNode();
        j.put("format", FORMAT).put("origin", origin).put("sessionTag", sessionTag).put("nonce", nonce)
                .put("issuedAt", issuedAt).put("expiresAt", expiresAt)
                .put("signatureAlgorithm", signatureAlgorithm.name()).put("signature", Base64Text.encode(signature));
        return j;
    }

    public static PresenceChallenge fromJson(JsonNode json) {
        JsonFields f = new JsonFields(json, "presenceChallenge");
        f.format(FORMAT);
        String origin = f.origin();
        String sessionTag = f.sessionTag();
        String nonce = f.nonce("nonce");
        String issuedAt = f.time("issuedAt");
        String expiresAt = f.time("expiresAt");
        f.checkTimes(issuedAt, expiresAt);
        Algorithm alg = f.algorithm("signatureAlgorithm");
        byte[] signature = f.base64("signature", ServerChallenge.MAX_SIGNATURE_BYTES);
        f.done();
        return new PresenceChallenge(origin, sessionTag, nonce, issuedAt, expiresAt, alg, signature);
    }
}

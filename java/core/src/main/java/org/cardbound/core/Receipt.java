package org.cardbound.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.PrivateKey;
import java.security.PublicKey;

// The server's signed receipt for a valid token, `cardbound-receipt:1`
// (docs/protocol.md §4.2). tokenHash: base64 of SHA-256 of the token's signature bytes.
public record Receipt(
        String origin,
        String serverNonce,
        String tokenHash,
        String sessionTag,
        String presenceNonce,
        int presenceInterval,
        String issuedAt,
        String expiresAt,
        Algorithm signatureAlgorithm,
        byte[] signature) {
    public static final String FORMAT = "cardbound-receipt:1";
    public static final int MAX_PRESENCE_INTERVAL = 3600;

    public static String tokenHashOf(byte[] tokenSignature) {
        return Base64Text.encode(Digests.hash("SHA-256", tokenSignature));
    }

    public String signingInput() {
        return SigningInput.lines(FORMAT, origin, serverNonce, tokenHash, sessionTag, presenceNonce,
                Integer.toString(presenceInterval), issuedAt, expiresAt);
    }

    public Receipt signedWith(PrivateKey key, Algorithm alg) {
        return new Receipt(origin, serverNonce, tokenHash, sessionTag, presenceNonce, presenceInterval, issuedAt, expiresAt,
                alg, MessageSignatures.sign(key, alg, signingInput()));
    }

    public boolean verify(PublicKey key) {
        return MessageSignatures.verify(key, signatureAlgorithm, signingInput(), signature);
    }

    public ObjectNode toJson() {
        ObjectNode j = Json.mapper().createObjectNode();
        j.put("format", FORMAT).put("origin", origin).put("serverNonce", serverNonce).put("tokenHash", tokenHash)
                .put("sessionTag", sessionTag).put("presenceNonce", presenceNonce).put("presenceInterval", presenceInterval)
                .put("issuedAt", issuedAt).put("expiresAt", expiresAt)
                .put("signatureAlgorithm", signatureAlgorithm.name()).put("signature", Base64Text.encode(signature));
        return j;
    }

    public static Receipt fromJson(JsonNode json) {
        JsonFields f = new JsonFields(json, "receipt");
        f.format(FORMAT);
        String origin = f.origin();
        String serverNonce = f.nonce("serverNonce");
        String tokenHash = f.string("tokenHash", 44);
        if (Base64Text.decode(tokenHash).map(b -> b.length != 32).orElse(true))
            f.fail("tokenHash", "must be base64 of a SHA-256 hash");
        String sessionTag = f.sessionTag();
        String presenceNonce = f.nonce("presenceNonce");
        JsonNode interval = f.get("presenceInterval");
        if (!interval.isIntegralNumber() || !interval.canConvertToInt() || interval.intValue() < 1
                || interval.intValue() > MAX_PRESENCE_INTERVAL)
            f.fail("presenceInterval", "must be a whole number of seconds from 1 to 3600");
        String issuedAt = f.time("issuedAt");
        String expiresAt = f.time("expiresAt");
        f.checkTimes(issuedAt, expiresAt);
        Algorithm alg = f.algorithm("signatureAlgorithm");
        byte[] signature = f.base64("signature", ServerChallenge.MAX_SIGNATURE_BYTES);
        f.done();
        return new Receipt(origin, serverNonce, tokenHash, sessionTag, presenceNonce, interval.intValue(), issuedAt, expiresAt,
                alg, signature);
    }
}

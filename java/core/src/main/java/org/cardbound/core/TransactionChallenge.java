package org.cardbound.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.PrivateKey;
import java.security.PublicKey;

// The server's signed question "confirm this text with the card",
// `cardbound-transaction-challenge:1` (docs/protocol.md §4.4), for a live
// session: the host shows `text` verbatim in its trusted window.
public record TransactionChallenge(
        String origin,
        String sessionTag,
        String text,
        String nonce,
        String issuedAt,
        String expiresAt,
        Algorithm signatureAlgorithm,
        byte[] signature) {
    public static final String FORMAT = "cardbound-transaction-challenge:1";

    // The text last, as it is (the C++ TransactionChallenge::signing_input).
    public String signingInput() {
        return SigningInput.lines(FORMAT, origin, sessionTag, nonce, issuedAt, expiresAt, text);
    }

    public TransactionChallenge signedWith(PrivateKey key, Algorithm alg) {
        return new TransactionChallenge(origin, sessionTag, text, nonce, issuedAt, expiresAt, alg,
                MessageSignatures.sign(key, alg, signingInput()));
    }

    public boolean verify(PublicKey key) {
        return MessageSignatures.verify(key, signatureAlgorithm, signingInput(), signature);
    }

    public ObjectNode toJson() {
        ObjectNode j = Json.mapper().createObjectNode();
        j.put("format", FORMAT).put("origin", origin).put("sessionTag", sessionTag).put("text", text).put("nonce", nonce)
                .put("issuedAt", issuedAt).put("expiresAt", expiresAt)
                .put("signatureAlgorithm", signatureAlgorithm.name()).put("signature", Base64Text.encode(signature));
        return j;
    }

    public static TransactionChallenge fromJson(JsonNode json) {
        JsonFields f = new JsonFields(json, "transactionChallenge");
        f.format(FORMAT);
        String origin = f.origin();
        String sessionTag = f.sessionTag();
        String text = f.transactionText();
        String nonce = f.nonce("nonce");
        String issuedAt = f.time("issuedAt");
        String expiresAt = f.time("expiresAt");
        f.checkTimes(issuedAt, expiresAt);
        Algorithm alg = f.algorithm("signatureAlgorithm");
        byte[] signature = f.base64("signature", ServerChallenge.MAX_SIGNATURE_BYTES);
        f.done();
        return new TransactionChallenge(origin, sessionTag, text, nonce, issuedAt, expiresAt, alg, signature);
    }
}

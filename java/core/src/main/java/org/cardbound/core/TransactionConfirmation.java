package org.cardbound.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

// The card's answer to a transaction challenge, `cardbound-transaction:1`
// (docs/protocol.md §4.5): the text it confirmed (so a server tells a
// changed text from a bad signature), the signing card's certificate (DER,
// so it tells another card), and the signature over
// Digests.transactionSigningInput. Parsed strictly, as a presence proof.
public record TransactionConfirmation(
        String sessionTag, String text, String nonce, byte[] certificate, Algorithm algorithm, byte[] signature) {
    public static final String FORMAT = "cardbound-transaction:1";

    public ObjectNode toJson() {
        ObjectNode j = Json.mapper().createObjectNode();
        j.put("format", FORMAT).put("sessionTag", sessionTag).put("text", text).put("nonce", nonce)
                .put("certificate", Base64Text.encode(certificate)).put("algorithm", algorithm.name())
                .put("signature", Base64Text.encode(signature));
        return j;
    }

    public static TransactionConfirmation fromJson(JsonNode json) {
        JsonFields f = new JsonFields(json, "transactionConfirmation");
        f.format(FORMAT);
        String sessionTag = f.sessionTag();
        String text = f.transactionText();
        String nonce = f.nonce("nonce");
        byte[] certificate = f.base64("certificate", ServerChallenge.MAX_CERTIFICATE_BYTES);
        Algorithm alg = f.algorithm("algorithm");
        byte[] signature = f.base64("signature", ServerChallenge.MAX_SIGNATURE_BYTES);
        f.done();
        return new TransactionConfirmation(sessionTag, text, nonce, certificate, alg, signature);
    }
}

package org.cardbound.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.PublicKey;

// The card's answer to a presence challenge, `cardbound-presence:1`
// (docs/protocol.md §4.4): a signature over the presence digest, with the
// key of the certificate the session logged in with.
public record PresenceProof(String sessionTag, String nonce, Algorithm algorithm, byte[] signature) {
    public static final String FORMAT = "cardbound-presence:1";

    // Whether the proof answers this challenge (its tag and nonce), for this
    // origin, with the card's key.
    public boolean verify(PublicKey cardKey, String origin, PresenceChallenge challenge) {
        if (!sessionTag.equals(challenge.sessionTag()) || !nonce.equals(challenge.nonce())) return false;
        return MessageSignatures.verify(cardKey, algorithm, Digests.presenceSigningInput(algorithm, origin, sessionTag, nonce),
                signature);
    }

    public ObjectNode toJson() {
        ObjectNode j = Json.mapper().createObjectNode();
        j.put("format", FORMAT).put("sessionTag", sessionTag).put("nonce", nonce).put("algorithm", algorithm.name())
                .put("signature", Base64Text.encode(signature));
        return j;
    }

    public static PresenceProof fromJson(JsonNode json) {
        JsonFields f = new JsonFields(json, "presenceProof");
        f.format(FORMAT);
        String sessionTag = f.sessionTag();
        String nonce = f.nonce("nonce");
        Algorithm alg = f.algorithm("algorithm");
        byte[] signature = f.base64("signature", ServerChallenge.MAX_SIGNATURE_BYTES);
        f.done();
        return new PresenceProof(sessionTag, nonce, alg, signature);
    }
}

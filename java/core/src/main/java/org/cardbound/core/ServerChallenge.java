package org.cardbound.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

// The server's signed challenge, `cardbound-challenge:1` (docs/protocol.md §4.1).
public record ServerChallenge(
        String origin,
        String serverNonce,
        String hostNonce,
        String issuedAt,
        String expiresAt,
        List<byte[]> certificateChain,
        Algorithm signatureAlgorithm,
        byte[] signature) {
    public static final String FORMAT = "cardbound-challenge:1";
    public static final int MAX_CHAIN_LENGTH = 5;
    public static final int MAX_CERTIFICATE_BYTES = 16 * 1024;
    public static final int MAX_SIGNATURE_BYTES = 1024;

    public ServerChallenge {
        certificateChain = List.copyOf(certificateChain);
    }

    // The lines the server signs; the chain enters as the SHA-256 of its first certificate.
    public String signingInput() {
        String leafHash = certificateChain.isEmpty() ? "" : HexFormat.of().formatHex(Digests.hash("SHA-256", certificateChain.get(0)));
        return SigningInput.lines(FORMAT, origin, serverNonce, hostNonce, issuedAt, expiresAt, leafHash);
    }

    public ServerChallenge signedWith(PrivateKey key, Algorithm alg) {
        ServerChallenge unsigned = new ServerChallenge(origin, serverNonce, hostNonce, issuedAt, expiresAt, certificateChain, alg, new byte[0]);
        return new ServerChallenge(origin, serverNonce, hostNonce, issuedAt, expiresAt, certificateChain, alg,
                MessageSignatures.sign(key, alg, unsigned.signingInput()));
    }

    // Whether the signature verifies with `key` (the first certificate's, usually).
    public boolean verify(PublicKey key) {
        return MessageSignatures.verify(key, signatureAlgorithm, signingInput(), signature);
    }

    public ObjectNode toJson() {
        ObjectNode j = Json.mapper().createObjectNode();
        j.put("format", FORMAT).put("origin", origin).put("serverNonce", serverNonce).put("hostNonce", hostNonce)
                .put("issuedAt", issuedAt).put("expiresAt", expiresAt);
        ArrayNode chain = j.putArray("certificateChain");
        for (byte[] der : certificateChain) chain.add(Base64Text.encode(der));
        j.put("signatureAlgorithm", signatureAlgorithm.name()).put("signature", Base64Text.encode(signature));
        return j;
    }

    public static ServerChallenge fromJson(JsonNode json) {
        JsonFields f = new JsonFields(json, "challenge");
        f.format(FORMAT);
        String origin = f.origin();
        String serverNonce = f.nonce("serverNonce");
        String hostNonce = f.nonce("hostNonce");
        String issuedAt = f.time("issuedAt");
        String expiresAt = f.time("expiresAt");
        f.checkTimes(issuedAt, expiresAt);
        JsonNode chain = f.get("certificateChain");
        if (!chain.isArray() || chain.isEmpty() || chain.size() > MAX_CHAIN_LENGTH)
            f.fail("certificateChain", "must be an array of 1 to 5 certificates");
        List<byte[]> ders = new ArrayList<>();
        for (JsonNode item : chain) {
            if (!item.isTextual()) f.fail("certificateChain", "must hold base64 strings");
            byte[] der = Base64Text.decode(item.textValue()).orElse(null);
            if (der == null || der.length == 0 || der.length > MAX_CERTIFICATE_BYTES)
                f.fail("certificateChain", "holds a bad certificate encoding");
            ders.add(der);
        }
        Algorithm alg = f.algorithm("signatureAlgorithm");
        byte[] signature = f.base64("signature", MAX_SIGNATURE_BYTES);
        f.done();
        return new ServerChallenge(origin, serverNonce, hostNonce, issuedAt, expiresAt, ders, alg, signature);
    }
}

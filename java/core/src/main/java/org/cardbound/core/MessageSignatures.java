package org.cardbound.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

// Signs and verifies a signed message's signing input (docs/protocol.md §4:
// the UTF-8 text, hashed with the algorithm's hash, the JWS way).
public final class MessageSignatures {
    private MessageSignatures() {}

    public static byte[] sign(PrivateKey key, Algorithm alg, String signingInput) {
        try {
            Signature s = alg.newSignature();
            s.initSign(key);
            s.update(signingInput.getBytes(StandardCharsets.UTF_8));
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with " + alg + ": " + e.getMessage(), e);
        }
    }

    // False for a key that does not fit the algorithm, and for any signature
    // that does not verify: a verifier never throws its way past a check.
    public static boolean verify(PublicKey key, Algorithm alg, byte[] data, byte[] signature) {
        if (!Keys.fits(alg, key)) return false;
        try {
            Signature s = alg.newSignature();
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    public static boolean verify(PublicKey key, Algorithm alg, String signingInput, byte[] signature) {
        return verify(key, alg, signingInput.getBytes(StandardCharsets.UTF_8), signature);
    }
}

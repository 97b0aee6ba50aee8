package org.cardbound.core;

import java.security.SecureRandom;

// Nonces (standard base64 of 32 to 64 random bytes) and session tags
// (base64url without padding, 16 to 64 characters), docs/protocol.md §4.
public final class Nonces {
    private Nonces() {}

    private static final SecureRandom RANDOM = new SecureRandom();

    public static boolean isValid(String nonce) {
        if (nonce.length() > 100) return false;
        return Base64Text.decode(nonce).map(b -> b.length >= 32 && b.length <= 64).orElse(false);
    }

    public static boolean isValidSessionTag(String tag) {
        return tag.length() >= 16 && tag.length() <= 64 && Base64Text.decodeUrl(tag).isPresent();
    }

    // A fresh nonce of 32 random bytes (256 bits).
    public static String fresh() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64Text.encode(b);
    }
}

package org.cardbound.core;

import java.util.Base64;
import java.util.Optional;

// Base64 as the C++ side reads it (common/…/encoding.cpp): the canonical form
// only, so one byte string has exactly one text. Standard base64 with its
// padding; base64url without. Anything else (whitespace, missing padding,
// stray bits) is no base64 at all.
public final class Base64Text {
    private Base64Text() {}

    public static Optional<byte[]> decode(String text) {
        if (text.length() % 4 != 0) return Optional.empty();
        return canonical(text, Base64.getDecoder(), Base64.getEncoder());
    }

    public static Optional<byte[]> decodeUrl(String text) {
        if (text.length() % 4 == 1 || text.indexOf('=') >= 0) return Optional.empty();
        return canonical(text, Base64.getUrlDecoder(), Base64.getUrlEncoder().withoutPadding());
    }

    public static String encode(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    public static String encodeUrl(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static Optional<byte[]> canonical(String text, Base64.Decoder d, Base64.Encoder e) {
        try {
            byte[] bytes = d.decode(text);
            return e.encodeToString(bytes).equals(text) ? Optional.of(bytes) : Optional.empty();
        } catch (IllegalArgumentException notBase64) {
            return Optional.empty();
        }
    }
}

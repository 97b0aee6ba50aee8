package org.cardbound.core;

// The text a transaction confirmation shows (docs/protocol.md §4.4), the C++
// is_valid_transaction_text: 1 to Registry.MAX_TRANSACTION_TEXT_BYTES bytes
// of UTF-8, one line of printable characters. Refused: control characters
// (C0, DEL, C1), the soft hyphen, line and paragraph separators, zero-width
// and bidirectional formatting characters, tag characters, and anything
// that is not a whole code point (a lone surrogate is no UTF-8): all of them
// could make the trusted window show another text than the one signed.
public final class TransactionText {
    private TransactionText() {}

    public static boolean isValid(String text) {
        if (text == null || text.isEmpty()) return false;
        long bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            if (c >= 0xD800 && c <= 0xDFFF) return false; // a lone surrogate
            if (hiddenOrFormatting(c)) return false;
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
            if (bytes > Registry.MAX_TRANSACTION_TEXT_BYTES) return false;
            i += Character.charCount(c);
        }
        return true;
    }

    // Characters that are not shown, or that move or hide what is shown (the
    // C++ hidden_or_formatting, range for range).
    static boolean hiddenOrFormatting(int c) {
        return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x061C
                || (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E)
                || (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB)
                || (c >= 0xE0000 && c <= 0xE007F);
    }
}

package org.cardbound.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

// Reads the members of one JSON object, each typed and bounded as the C++
// side's Fields (common/…/messages.cpp) does, and can refuse any it did not
// read. Strings are non-empty, at most `max` UTF-8 bytes, and hold no control
// character (signing inputs are lines).
public final class JsonFields {
    private final JsonNode node;
    private final String what;
    private final Set<String> seen = new HashSet<>();

    public JsonFields(JsonNode node, String what) {
        this.node = node;
        this.what = what;
        if (node == null || !node.isObject()) fail("", "must be a JSON object");
    }

    public ProtocolException failure(String field, String why) {
        return new ProtocolException(what + (field.isEmpty() ? "" : "." + field) + " " + why);
    }

    public void fail(String field, String why) {
        throw failure(field, why);
    }

    public JsonNode get(String field) {
        seen.add(field);
        JsonNode v = node.get(field);
        if (v == null) fail(field, "is missing");
        return v;
    }

    public boolean has(String field) {
        return node.has(field);
    }

    public String string(String field, int max) {
        JsonNode v = get(field);
        if (!v.isTextual()) fail(field, "must be a string");
        String s = v.textValue();
        int bytes = s.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > max) fail(field, "has a bad length");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) fail(field, "holds a control character");
        }
        return s;
    }

    public void format(String expected) {
        if (!string("format", 64).equals(expected)) fail("format", "must be " + expected);
    }

    public String origin() {
        String o = string("origin", 300);
        if (!Origins.isOrigin(o)) fail("origin", "is not a valid origin");
        return o;
    }

    public String nonce(String field) {
        String n = string(field, 100);
        if (!Nonces.isValid(n)) fail(field, "must be base64 of 32 to 64 bytes");
        return n;
    }

    public String sessionTag() {
        String t = string("sessionTag", 64);
        if (!Nonces.isValidSessionTag(t)) fail("sessionTag", "must be base64url of 16 to 64 characters");
        return t;
    }

    public String time(String field) {
        String t = string(field, 20);
        if (Times.parse(t).isEmpty()) fail(field, "must be a time like 2026-01-31T12:00:00Z");
        return t;
    }

    public Algorithm algorithm(String field) {
        String name = string(field, 16);
        return Algorithm.of(name).orElseThrow(
                () -> new UnsupportedAlgorithmException(what + "." + field + " is not a supported algorithm"));
    }

    // A transaction's text (TransactionText): one line of printable characters.
    public String transactionText() {
        String t = string("text", (int) Registry.MAX_TRANSACTION_TEXT_BYTES);
        if (!TransactionText.isValid(t)) fail("text", "must be one line of printable characters");
        return t;
    }

    public byte[] base64(String field, int maxBytes) {
        String text = string(field, (maxBytes + 2) / 3 * 4);
        byte[] bytes = Base64Text.decode(text).orElse(null);
        if (bytes == null || bytes.length == 0 || bytes.length > maxBytes)
            fail(field, "must be base64 of at most " + maxBytes + " bytes");
        return bytes;
    }

    // expiresAt after issuedAt: a message is valid for some time, or never.
    public void checkTimes(String issuedAt, String expiresAt) {
        if (!Times.parse(expiresAt).get().isAfter(Times.parse(issuedAt).get()))
            fail("expiresAt", "must come after issuedAt");
    }

    // Refuses any member that was not read: signed messages have exactly their fields.
    public void done() {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!seen.contains(name)) fail(name, "is not a known field");
        }
    }
}

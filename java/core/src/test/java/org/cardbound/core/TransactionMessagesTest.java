package org.cardbound.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

// The transaction messages of docs/protocol.md §4.4 and §4.5: the text rule
// (the C++ is_valid_transaction_text, case for case as host/tests/
// signature_test.cpp and more), the challenge's signing input and strict
// JSON, the confirmation's strict JSON, and the digest the card signs,
// checked against the openssl command built from the protocol's formula.
class TransactionMessagesTest {
    static final String ORIGIN = "https://bank.example";
    static final String TAG = "c2Vzc2lvbi10YWctMTIzNDU2";
    static final String NONCE = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    static final String TEXT = "Pay 1,200 EUR to ACME";

    @Test
    void textIsOneLineOfPrintableCharacters() {
        for (String ok : List.of(TEXT, "Maksa 1 200 € ettevõttele Õun & Äri", "支付 1200 欧元", "x".repeat(400),
                "€".repeat(133) + "x", "😀".repeat(100), "a\u00A0b", "<b>not HTML</b> & \"quotes\""))
            assertTrue(TransactionText.isValid(ok), ok);
        for (String bad : List.of("", "x".repeat(401), "€".repeat(134), "😀".repeat(100) + "x", "Pay 1 EUR\nto ACME",
                "Pay\t1 EUR", "Pay\r1", "Pay \u0085 1 EUR", "Pay \u007F", "Pay \u009F", "Pay 1 EUR to \u202EEMCA",
                "Pay 1\u200B00 EUR", "Pay \u2066" + "1 EUR", "Pay \u2028 1 EUR", "Pay \u2029", "Pay\u00AD1",
                "Pay \u061C", "Pay \u200E", "Pay \u200F", "Pay \u202A", "\uFEFFPay", "Pay \uFFF9", "Pay \uFFFB",
                "Pay \uDB40\uDC01", "Pay \uDB40\uDC7F", "Pay \uD800", "\uDC00 Pay", "Pay \u2060", "Pay \u206F"))
            assertFalse(TransactionText.isValid(bad), HexFormat.of().formatHex(bad.getBytes(StandardCharsets.UTF_16BE)));
        assertFalse(TransactionText.isValid(null));
        // The edges of each refused range are allowed one step outside it.
        for (String ok : List.of("Pay \u00A0", "Pay \u00AE", "Pay \u061B", "Pay \u200A", "Pay \u2027", "Pay \u202F",
                "Pay \u205F", "Pay \u2070", "Pay \uFEFE", "Pay \uFFF8", "Pay \uFFFC", "Pay \uDB40\uDC80", "Pay \uDB3F\uDFFF"))
            assertTrue(TransactionText.isValid(ok), ok);
        assertEquals(400, Registry.MAX_TRANSACTION_TEXT_BYTES);
    }

    static TransactionChallenge challenge() {
        return new TransactionChallenge(ORIGIN, TAG, TEXT, NONCE, "2026-11-29T12:00:00Z", "2026-11-29T12:02:00Z", Algorithm.ES256,
                new byte[0]);
    }

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    @Test
    void challengeSignsItsLinesWithTheTextLast() throws Exception {
        assertEquals("cardbound-transaction-challenge:1\n" + ORIGIN + "\n" + TAG + "\n" + NONCE
                + "\n2026-11-29T12:00:00Z\n2026-11-29T12:02:00Z\n" + TEXT, challenge().signingInput());
        KeyPair k = ec();
        TransactionChallenge c = challenge().signedWith(k.getPrivate(), Algorithm.ES256);
        TransactionChallenge back = TransactionChallenge.fromJson(Json.parse(Json.write(c.toJson())));
        assertEquals(TEXT, back.text());
        assertTrue(back.verify(k.getPublic()));
        ObjectNode changed = c.toJson().put("text", "Pay 9,999 EUR to EVIL");
        assertFalse(TransactionChallenge.fromJson(changed).verify(k.getPublic()), "another text");
        assertFalse(back.verify(ec().getPublic()), "another key");
    }

    @Test
    void challengeIsReadStrictly() throws Exception {
        ObjectNode j = challenge().signedWith(ec().getPrivate(), Algorithm.ES256).toJson();
        TransactionChallenge.fromJson(j);
        assertThrows(ProtocolException.class, () -> TransactionChallenge.fromJson(j.deepCopy().put("text", "Pay 1 EUR\u202Eto ACME")));
        assertThrows(ProtocolException.class, () -> TransactionChallenge.fromJson(j.deepCopy().put("text", "")));
        assertThrows(ProtocolException.class, () -> TransactionChallenge.fromJson(j.deepCopy().put("text", "x".repeat(401))));
        assertThrows(ProtocolException.class, () -> TransactionChallenge.fromJson(j.deepCopy().put("text", 7)));
        assertThrows(ProtocolException.class, () -> TransactionChallenge.fromJson(j.deepCopy().put("extra", 1)));
        assertThrows(ProtocolException.class, () -> TransactionChallenge.fromJson(j.deepCopy().put("format", "cardbound-presence-challenge:1")));
        assertThrows(ProtocolException.class, () -> TransactionChallenge.fromJson(j.deepCopy().put("expiresAt", "2026-11-29T12:00:00Z")));
        ObjectNode missing = j.deepCopy();
        missing.remove("text");
        assertThrows(ProtocolException.class, () -> TransactionChallenge.fromJson(missing));
    }

    static ObjectNode confirmation() {
        return new TransactionConfirmation(TAG, TEXT, NONCE, new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}, Algorithm.PS256, new byte[] {1, 2})
                .toJson();
    }

    @Test
    void confirmationIsReadStrictly() {
        TransactionConfirmation c = TransactionConfirmation.fromJson(Json.parse(Json.write(confirmation())));
        assertEquals(TEXT, c.text());
        assertEquals(Algorithm.PS256, c.algorithm());
        assertArrayEquals(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}, c.certificate());
        ObjectNode j = confirmation();
        assertThrows(ProtocolException.class, () -> TransactionConfirmation.fromJson(j.deepCopy().put("extra", "x")));
        assertThrows(ProtocolException.class, () -> TransactionConfirmation.fromJson(j.deepCopy().put("text", "a\nb")));
        assertThrows(ProtocolException.class, () -> TransactionConfirmation.fromJson(j.deepCopy().put("format", "cardbound-presence:1")));
        assertThrows(ProtocolException.class, () -> TransactionConfirmation.fromJson(j.deepCopy().put("certificate", "not base64!")));
        assertThrows(ProtocolException.class,
                () -> TransactionConfirmation.fromJson(j.deepCopy().put("certificate", Base64Text.encode(new byte[16 * 1024 + 1]))));
        assertThrows(UnsupportedAlgorithmException.class, () -> TransactionConfirmation.fromJson(j.deepCopy().put("algorithm", "HS256")));
        assertThrows(ProtocolException.class, () -> TransactionConfirmation.fromJson(j.deepCopy().put("nonce", "short")));
        assertThrows(ProtocolException.class, () -> TransactionConfirmation.fromJson(Json.mapper().createArrayNode()));
        assertThrows(ProtocolException.class, () -> TransactionConfirmation.fromJson(null));
        for (String field : List.of("format", "sessionTag", "text", "nonce", "certificate", "algorithm", "signature")) {
            ObjectNode missing = j.deepCopy();
            missing.remove(field);
            assertThrows(ProtocolException.class, () -> TransactionConfirmation.fromJson(missing), field);
        }
    }

    // The protocol's formula, H(prefix 0x00 H(origin) H(sessionTag) H(text)
    // H(nonce)), computed by the openssl command from the UTF-8 bytes alone:
    // not Java's code, so a mistake there shows. Each part reaches bash's
    // printf as \xHH escapes, whatever the locale.
    static String opensslDigest(String hash, String... parts) {
        StringBuilder script = new StringBuilder("{ printf 'cardbound-transaction:1\\000'");
        for (int i = 0; i < parts.length; i++)
            script.append("; printf \"$").append(i + 1).append("\" | openssl dgst -").append(hash).append(" -binary");
        script.append("; } | openssl dgst -").append(hash).append(" -binary | od -An -v -tx1 | tr -d ' \\n'");
        String[] command = new String[4 + parts.length];
        command[0] = "bash";
        command[1] = "-c";
        command[2] = script.toString();
        command[3] = "openssl-digest";
        for (int i = 0; i < parts.length; i++) {
            StringBuilder escaped = new StringBuilder();
            for (byte b : parts[i].getBytes(StandardCharsets.UTF_8)) escaped.append(String.format("\\x%02x", b & 0xff));
            command[4 + i] = escaped.toString();
        }
        return TestPki.run(command).trim();
    }

    @Test
    void digestIsTheProtocolsFormula() {
        String text = "Maksa 1 200 € ettevõttele Õun & Äri";
        for (Algorithm alg : List.of(Algorithm.ES256, Algorithm.PS384, Algorithm.RS512)) {
            String hash = "sha" + alg.hash().substring(4);
            byte[] d = Digests.transactionDigest(alg, ORIGIN, TAG, text, NONCE);
            assertEquals(opensslDigest(hash, ORIGIN, TAG, text, NONCE), HexFormat.of().formatHex(d), alg.name());
            assertEquals(alg.hashLength(), d.length);
            assertArrayEquals(Digests.hash(alg.hash(), Digests.transactionSigningInput(alg, ORIGIN, TAG, text, NONCE)), d);
        }
        // Apart from the other digests, and from other texts, sessions, origins and nonces.
        byte[] d = Digests.transactionDigest(Algorithm.ES256, ORIGIN, TAG, TEXT, NONCE);
        assertFalse(java.util.Arrays.equals(d, Digests.transactionDigest(Algorithm.ES256, ORIGIN, TAG, "Pay 1,201 EUR to ACME", NONCE)));
        assertFalse(java.util.Arrays.equals(d, Digests.transactionDigest(Algorithm.ES256, "https://evil.example", TAG, TEXT, NONCE)));
        assertFalse(java.util.Arrays.equals(d, Digests.transactionDigest(Algorithm.ES256, ORIGIN, "AAAAAAAAAAAAAAAAAAAAAA", TEXT, NONCE)));
        assertFalse(java.util.Arrays.equals(d, Digests.hash("SHA-256", Digests.presenceSigningInput(Algorithm.ES256, ORIGIN, TAG, NONCE))));
        assertFalse(java.util.Arrays.equals(d, Digests.loginDigest(Algorithm.ES256, ORIGIN, NONCE)));
        // The presence digest, through the same shared code, keeps its own formula.
        byte[] presence = Digests.presenceSigningInput(Algorithm.ES256, ORIGIN, TAG, NONCE);
        assertEquals("cardbound-presence:1".length() + 1 + 3 * 32, presence.length);
        assertEquals(0, presence["cardbound-presence:1".length()]);
        assertArrayEquals(Digests.hash("SHA-256", TAG.getBytes(StandardCharsets.UTF_8)),
                java.util.Arrays.copyOfRange(presence, 21 + 32, 21 + 64));
    }
}

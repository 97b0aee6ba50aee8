package org.cardbound.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// The signed messages of docs/protocol.md §4: their signing inputs are the
// lines the document lists (read from docs/protocol.md itself, so the text
// and the code cannot drift apart), they sign and verify with each of the
// nine algorithms, and their JSON reads back exactly and strictly.
class SignedMessagesTest {
    static final String ORIGIN = "https://localhost:8443";
    static final String SERVER_NONCE = "EzcpTQUUWaUEfv2lmz0YI5Ai1nE5HVCfcN9fJXhErKI=";
    static final String HOST_NONCE = "ZXmsZkzkfcWt/AA5NWCovDKKTSnAwvY6QdXSM7M64aI=";
    static final String TAG = "q5b3Q0xW2J4lF9-3c2yJ0g";
    static final byte[] LEAF = {0x30, 0x03, 0x02, 0x01, 0x01};

    static Map<String, KeyPair> keys;
    static String protocolText;

    @BeforeAll
    static void setUp() throws Exception {
        protocolText = Files.readString(TestFiles.source().resolve("docs/protocol.md"));
        keys = Map.of("P-256", ec("secp256r1"), "P-384", ec("secp384r1"), "P-521", ec("secp521r1"), "RSA", rsa());
    }

    static KeyPair ec(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    static KeyPair keyFor(Algorithm alg) {
        return keys.get(alg.isEc() ? alg.curve() : "RSA");
    }

    // The lines docs/protocol.md lists under "Signing input:" in `section`,
    // each <placeholder> replaced by the value its first word names.
    static String documented(String section, Map<String, String> values) {
        int at = protocolText.indexOf(section);
        Matcher m = Pattern.compile("Signing input:\\s*```\\n(.*?)\\n```", Pattern.DOTALL).matcher(protocolText);
        assertTrue(at >= 0 && m.find(at), "no signing input under " + section);
        List<String> out = new ArrayList<>();
        for (String line : m.group(1).split("\n")) {
            Matcher p = Pattern.compile("<(\\w+)[^>]*>").matcher(line);
            if (p.matches()) {
                assertTrue(values.containsKey(p.group(1)), "no value for " + line);
                out.add(values.get(p.group(1)));
            } else {
                out.add(line);
            }
        }
        return String.join("\n", out);
    }

    static ServerChallenge challenge() {
        return new ServerChallenge(ORIGIN, SERVER_NONCE, HOST_NONCE, "2026-11-27T21:55:06Z", "2026-11-27T21:57:06Z",
                List.of(LEAF), Algorithm.ES256, new byte[0]);
    }

    static Receipt receipt() {
        return new Receipt(ORIGIN, SERVER_NONCE, Receipt.tokenHashOf(new byte[] {1, 2, 3}), TAG, HOST_NONCE, 30,
                "2026-11-27T21:55:08Z", "2026-11-27T21:57:08Z", Algorithm.ES256, new byte[0]);
    }

    static PresenceChallenge presence() {
        return new PresenceChallenge(ORIGIN, TAG, HOST_NONCE, "2026-11-27T21:55:38Z", "2026-11-27T21:56:38Z", Algorithm.ES256,
                new byte[0]);
    }

    @Test
    void challengeSigningInputIsTheDocumentsLines() {
        ServerChallenge c = challenge();
        String expected = documented("### 4.1 Challenge", Map.of("origin", ORIGIN, "serverNonce", SERVER_NONCE,
                "hostNonce", HOST_NONCE, "issuedAt", c.issuedAt(), "expiresAt", c.expiresAt(),
                "lowercase", HexFormat.of().formatHex(Digests.hash("SHA-256", LEAF))));
        assertEquals(expected, c.signingInput());
        assertTrue(expected.startsWith("cardbound-challenge:1\n") && !expected.endsWith("\n"));
    }

    @Test
    void receiptSigningInputIsTheDocumentsLines() {
        Receipt r = receipt();
        String expected = documented("### 4.2 Receipt", Map.of("origin", ORIGIN, "serverNonce", SERVER_NONCE,
                "tokenHash", r.tokenHash(), "sessionTag", TAG, "presenceNonce", HOST_NONCE, "presenceInterval", "30",
                "issuedAt", r.issuedAt(), "expiresAt", r.expiresAt()));
        assertEquals(expected, r.signingInput());
    }

    @Test
    void presenceChallengeSigningInputIsTheDocumentsLines() {
        PresenceChallenge p = presence();
        String expected = documented("### 4.3 Presence challenge", Map.of("origin", ORIGIN, "sessionTag", TAG,
                "nonce", HOST_NONCE, "issuedAt", p.issuedAt(), "expiresAt", p.expiresAt()));
        assertEquals(expected, p.signingInput());
    }

    @Test
    void everyAlgorithmSignsAndVerifiesEachMessage() {
        for (Algorithm alg : Algorithm.values()) {
            KeyPair k = keyFor(alg);
            ServerChallenge c = challenge().signedWith(k.getPrivate(), alg);
            ServerChallenge back = ServerChallenge.fromJson(Json.parse(Json.write(c.toJson())));
            assertTrue(back.verify(k.getPublic()), alg + " challenge");
            assertEquals(c.signingInput(), back.signingInput());
            assertArrayEquals(c.signature(), back.signature());
            if (alg.isEc()) assertEquals(2 * ((alg.hashLength() == 64 ? 66 : alg.hashLength())), c.signature().length,
                    alg + " is raw r || s");
            Receipt r = receipt().signedWith(k.getPrivate(), alg);
            assertTrue(Receipt.fromJson(Json.parse(Json.write(r.toJson()))).verify(k.getPublic()), alg + " receipt");
            PresenceChallenge p = presence().signedWith(k.getPrivate(), alg);
            assertTrue(PresenceChallenge.fromJson(Json.parse(Json.write(p.toJson()))).verify(k.getPublic()), alg + " presence");
        }
    }

    @Test
    void aChangedMessageOrAnotherKeyDoesNotVerify() {
        KeyPair k = keys.get("P-256");
        ServerChallenge c = challenge().signedWith(k.getPrivate(), Algorithm.ES256);
        ServerChallenge moved = new ServerChallenge("https://evil.example", c.serverNonce(), c.hostNonce(), c.issuedAt(),
                c.expiresAt(), c.certificateChain(), c.signatureAlgorithm(), c.signature());
        assertFalse(moved.verify(k.getPublic()));
        assertFalse(c.verify(keys.get("P-384").getPublic()), "another curve than the algorithm's");
        assertFalse(c.verify(keys.get("RSA").getPublic()));
    }

    @Test
    void messagesAreReadStrictly() {
        KeyPair k = keys.get("P-256");
        ObjectNode good = challenge().signedWith(k.getPrivate(), Algorithm.ES256).toJson();
        ServerChallenge.fromJson(good);
        assertThrows(ProtocolException.class, () -> ServerChallenge.fromJson(good.deepCopy().put("extra", 1)), "unknown field");
        ObjectNode missing = good.deepCopy();
        missing.remove("hostNonce");
        assertThrows(ProtocolException.class, () -> ServerChallenge.fromJson(missing));
        assertThrows(ProtocolException.class, () -> ServerChallenge.fromJson(good.deepCopy().put("origin", "https://a.example/x")));
        assertThrows(ProtocolException.class, () -> ServerChallenge.fromJson(good.deepCopy().put("serverNonce", "c2hvcnQ=")), "short nonce");
        assertThrows(ProtocolException.class, () -> ServerChallenge.fromJson(good.deepCopy().put("issuedAt", "2026-11-27 21:55:06")));
        assertThrows(ProtocolException.class, () -> ServerChallenge.fromJson(good.deepCopy().put("expiresAt", good.get("issuedAt").textValue())),
                "expiresAt must come after issuedAt");
        assertThrows(UnsupportedAlgorithmException.class, () -> ServerChallenge.fromJson(good.deepCopy().put("signatureAlgorithm", "HS256")));
        assertThrows(ProtocolException.class, () -> ServerChallenge.fromJson(good.deepCopy().put("origin", "https://a.example\n")),
                "a control character would add a line to the signing input");
        assertThrows(ProtocolException.class, () -> Json.parse("{\"format\": 1, \"format\": 2}"), "duplicate members");
        ObjectNode r = receipt().signedWith(k.getPrivate(), Algorithm.ES256).toJson();
        Receipt.fromJson(r);
        assertThrows(ProtocolException.class, () -> Receipt.fromJson(r.deepCopy().put("presenceInterval", 3601)));
        assertThrows(ProtocolException.class, () -> Receipt.fromJson(r.deepCopy().put("presenceInterval", 1.5)));
        assertThrows(ProtocolException.class, () -> Receipt.fromJson(r.deepCopy().put("sessionTag", "short")));
    }

    @Test
    void presenceProofVerifiesForItsChallengeOnly() throws Exception {
        KeyPair card = keys.get("P-384");
        PresenceChallenge challenge = presence();
        var s = Algorithm.ES384.newSignature();
        s.initSign(card.getPrivate());
        s.update(Digests.presenceSigningInput(Algorithm.ES384, ORIGIN, TAG, challenge.nonce()));
        PresenceProof proof = PresenceProof.fromJson(new PresenceProof(TAG, challenge.nonce(), Algorithm.ES384, s.sign()).toJson());
        assertTrue(proof.verify(card.getPublic(), ORIGIN, challenge));
        assertFalse(proof.verify(card.getPublic(), "https://other.example", challenge));
        PresenceChallenge next = new PresenceChallenge(ORIGIN, TAG, SERVER_NONCE, challenge.issuedAt(), challenge.expiresAt(),
                Algorithm.ES256, new byte[0]);
        assertFalse(proof.verify(card.getPublic(), ORIGIN, next), "an old proof does not answer a new challenge");
        // Domain separation: a login signature over the same values is no presence proof.
        var login = Algorithm.ES384.newSignature();
        login.initSign(card.getPrivate());
        login.update(Digests.loginSigningInput(Algorithm.ES384, ORIGIN, challenge.nonce()));
        assertFalse(new PresenceProof(TAG, challenge.nonce(), Algorithm.ES384, login.sign()).verify(card.getPublic(), ORIGIN, challenge));
    }

    @Test
    void loginDigestIsTheHashOfHashes() {
        byte[] o = Digests.hash("SHA-256", ORIGIN.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] n = Digests.hash("SHA-256", SERVER_NONCE.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertArrayEquals(Digests.hash("SHA-256", o, n), Digests.loginDigest(Algorithm.ES256, ORIGIN, SERVER_NONCE));
        assertEquals(96, Digests.loginSigningInput(Algorithm.ES384, ORIGIN, SERVER_NONCE).length);
    }
}

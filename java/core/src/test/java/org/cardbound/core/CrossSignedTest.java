package org.cardbound.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.util.List;
import org.cardbound.core.TestPki.Issued;
import org.cardbound.core.validation.Identity;
import org.cardbound.core.validation.TokenValidator;
import org.cardbound.core.validation.TrustAnchors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Across languages, C++ to Java: the signed messages and tokens the C++
// side makes (build/host/tests/cardbound-test-server, the code of common/
// the server signs with) read and verify in Java, for EC and RSA keys.
// Java to C++: HostVerifiesJavaTest (challenges) and TokenRulesTest (tokens
// made in Java, through cardbound-verify).
class CrossSignedTest {
    static final String ORIGIN = "https://localhost:8443";
    static TestPki pki;
    static Issued ca;
    static Issued ecServer;
    static Issued rsaServer;
    static Issued p384Server;
    static Issued card;

    @BeforeAll
    static void makePki() throws Exception {
        TestFiles.testServer();
        pki = new TestPki();
        Path caKey = pki.key("ca", "ec:P-256");
        ca = pki.root("ca", "/CN=Cross CA", caKey, 3650,
                "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash");
        String server = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                + "subjectAltName=DNS:localhost\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid";
        ecServer = pki.issue("ec-server", "/CN=localhost", pki.key("ec-server", "ec:P-256"), ca, server);
        p384Server = pki.issue("p384-server", "/CN=localhost", pki.key("p384-server", "ec:P-384"), ca, server);
        rsaServer = pki.issue("rsa-server", "/CN=localhost", pki.key("rsa-server", "rsa:2048"), ca, server);
        card = pki.issue("card", "/C=EE/CN=Cross Holder", pki.key("card", "ec:P-384"), ca, TestPki.CARD_EXTENSIONS);
    }

    @AfterAll
    static void removePki() {
        if (pki != null) pki.close();
    }

    static String cpp(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = TestFiles.testServer().toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return TestPki.run(command).trim();
    }

    static ObjectNode json(String text) {
        return (ObjectNode) Json.parse(text);
    }

    @Test
    void cppChallengesVerifyInJava() {
        for (Issued server : List.of(ecServer, p384Server, rsaServer)) {
            String hostNonce = Nonces.fresh();
            ObjectNode j = json(cpp("challenge", "--key", server.key().toString(), "--chain", pki.bundle("chain", server, ca).toString(),
                    "--origin", ORIGIN, "--host-nonce", hostNonce));
            ServerChallenge c = ServerChallenge.fromJson(j);
            assertEquals(hostNonce, c.hostNonce());
            assertEquals(2, c.certificateChain().size());
            PublicKey key = TestPki.read(server.cert()).getPublicKey();
            assertTrue(c.verify(key), c.signatureAlgorithm() + " challenge from C++");
            assertFalse(ServerChallenge.fromJson(j.put("hostNonce", Nonces.fresh())).verify(key), "a changed challenge");
        }
    }

    @Test
    void cppReceiptsAndPresenceChallengesVerifyInJava() {
        for (Issued server : List.of(ecServer, rsaServer)) {
            PublicKey key = server.certificate().getPublicKey();
            String tag = "q5b3Q0xW2J4lF9-3c2yJ0g";
            Receipt r = Receipt.fromJson(json(cpp("receipt", "--key", server.key().toString(), "--origin", ORIGIN,
                    "--server-nonce", Nonces.fresh(), "--token-hash", Receipt.tokenHashOf(new byte[] {7}), "--session-tag", tag,
                    "--presence-nonce", Nonces.fresh(), "--interval", "45")));
            assertEquals(45, r.presenceInterval());
            assertTrue(r.verify(key), r.signatureAlgorithm() + " receipt from C++");
            PresenceChallenge p = PresenceChallenge.fromJson(json(cpp("presence", "--key", server.key().toString(), "--origin", ORIGIN,
                    "--session-tag", tag, "--nonce", Nonces.fresh())));
            assertTrue(p.verify(key), p.signatureAlgorithm() + " presence challenge from C++");
        }
    }

    // The C++ TransactionChallenge (cardbound-test-server transaction) reads
    // and verifies in Java: the signing inputs agree byte for byte, texts
    // beyond ASCII included; a changed text no longer verifies.
    @Test
    void cppTransactionChallengesVerifyInJava() {
        String tag = "q5b3Q0xW2J4lF9-3c2yJ0g";
        for (Issued server : List.of(ecServer, p384Server, rsaServer)) {
            for (String text : List.of("Pay 1,200 EUR to ACME", "Maksa 1 200 € ettevõttele Õun & Äri", "支付 1200 欧元 😀")) {
                String nonce = Nonces.fresh();
                ObjectNode j = json(cpp("transaction", "--key", server.key().toString(), "--origin", ORIGIN, "--session-tag", tag,
                        "--text", text, "--nonce", nonce));
                TransactionChallenge t = TransactionChallenge.fromJson(j);
                assertEquals(text, t.text());
                assertEquals(nonce, t.nonce());
                assertEquals(tag, t.sessionTag());
                PublicKey key = server.certificate().getPublicKey();
                assertTrue(t.verify(key), t.signatureAlgorithm() + " transaction challenge from C++: " + text);
                assertFalse(TransactionChallenge.fromJson(j.put("text", text + ".")).verify(key), "a changed text");
            }
        }
    }

    @Test
    void cppTokensValidateInJava() throws Exception {
        String nonce = Nonces.fresh();
        ObjectNode token = json(cpp("token", "--key", card.key().toString(), "--cert", card.cert().toString(), "--origin", ORIGIN,
                "--nonce", nonce));
        TokenValidator v = new TokenValidator(TrustAnchors.fromFiles(List.of(ca.cert())), List.of(),
                Clock.offset(Clock.systemUTC(), java.time.Duration.ofMinutes(10)));
        Identity id = v.validate(token, ORIGIN, nonce);
        assertEquals("ES384", id.algorithm());
        assertEquals("Cross Holder", id.holder());
    }
}

package org.cardbound.core.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import org.cardbound.core.Algorithm;
import org.cardbound.core.Base64Text;
import org.cardbound.core.Digests;
import org.cardbound.core.Json;
import org.cardbound.core.OpensslOcsp;
import org.cardbound.core.TestPki;
import org.cardbound.core.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Rule 16 through the CLIs: cardbound-verify-java and the C++
// cardbound-verify, both with `--ocsp URL` against the same `openssl ocsp`
// responder on a loopback port, give the same answer on the same tokens.
class VerifyOcspCliTest {
    static final String ORIGIN = "https://rp.example";
    static final String NONCE = "EzcpTQUUWaUEfv2lmz0YI5Ai1nE5HVCfcN9fJXhErKI=";
    static TestPki pki;
    static Issued ca;
    static Issued goodCard;
    static Issued revokedCard;
    static Path good;
    static Path revoked;
    static Path unknown;

    @BeforeAll
    static void makePki() throws Exception {
        pki = new TestPki();
        ca = pki.root("ca", "/O=Cards/CN=OCSP CLI CA", pki.key("ca", "ec:P-256"), 3650,
                "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash");
        Path key = pki.key("card", "ec:P-256");
        Issued g = pki.issue("good", "/C=EE/O=Cards/CN=Good Card", key, ca, TestPki.CARD_EXTENSIONS);
        Issued r = pki.issue("revoked", "/C=EE/O=Cards/CN=Revoked Card", key, ca, TestPki.CARD_EXTENSIONS);
        Issued u = pki.issue("unknown", "/C=EE/O=Cards/CN=Unknown Card", key, ca, TestPki.CARD_EXTENSIONS);
        goodCard = g;
        revokedCard = r;
        good = token(g, "good");
        revoked = token(r, "revoked");
        unknown = token(u, "unknown");
    }

    @AfterAll
    static void removePki() {
        pki.close();
    }

    static Path token(Issued cert, String name) throws Exception {
        Signature s = Algorithm.ES256.newSignature();
        s.initSign(TestPki.privateKey(cert.key()));
        s.update(Digests.loginSigningInput(Algorithm.ES256, ORIGIN, NONCE));
        ObjectNode t = Json.mapper().createObjectNode();
        t.put("unverifiedCertificate", Base64Text.encode(cert.certificate().getEncoded())).put("algorithm", "ES256")
                .put("signature", Base64Text.encode(s.sign())).put("format", "web-eid:1.0");
        return Files.writeString(pki.dir.resolve(name + ".json"), Json.write(t));
    }

    static String java(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = Verify.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        return exit == 0 ? "ok" : exit == 1 ? out.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("") : "exit " + exit;
    }

    static String cpp(List<String> args) throws Exception {
        String verify = System.getProperty("cardbound.verify");
        assertTrue(verify != null && Files.isExecutable(Path.of(verify)), "cardbound-verify is not built");
        List<String> command = new ArrayList<>(List.of(verify));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        return exit == 0 ? "ok" : exit == 1 ? out.lines().findFirst().orElse("") : "exit " + exit;
    }

    // The Java answer, after checking that cardbound-verify gives the same.
    static String both(Path token, String ocsp, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--token", token.toString(), "--origin", ORIGIN, "--nonce", NONCE,
                "--trust", ca.cert().toString(), "--ocsp", ocsp));
        args.addAll(List.of(more));
        String java = java(args);
        assertEquals(cpp(args), java, "cardbound-verify and cardbound-verify-java differ on " + args);
        return java;
    }

    @Test
    void rule16TheSameAnswersAsCardboundVerifyFromTheSameResponder() throws Exception {
        OpensslOcsp responder = new OpensslOcsp(pki, ca, "ca").add(goodCard, false).add(revokedCard, true);
        try (OpensslOcsp.Served served = responder.serve(60)) {
            assertEquals("ok", both(good, served.url()));
            assertEquals("CERT_REVOKED", both(revoked, served.url()));
            assertEquals("CERT_REVOKED", both(revoked, served.url(), "--soft-fail"));
            assertEquals("REVOCATION_UNKNOWN", both(unknown, served.url()));
            assertEquals("ok", both(unknown, served.url(), "--soft-fail"));
            assertEquals("ok", both(good, "off"));
            assertEquals("REVOCATION_UNKNOWN", both(good, "aia"), "no AIA in the card's certificate");
            assertEquals("ok", both(good, "aia", "--soft-fail"));
        }
        assertEquals("REVOCATION_UNKNOWN", both(good, "http://127.0.0.1:9/"), "nobody listens");
        assertEquals("exit 2", both(good, "ftp://127.0.0.1/"));
    }
}

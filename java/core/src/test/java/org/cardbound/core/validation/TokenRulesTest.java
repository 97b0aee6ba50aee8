package org.cardbound.core.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cardbound.core.Algorithm;
import org.cardbound.core.Base64Text;
import org.cardbound.core.Digests;
import org.cardbound.core.Json;
import org.cardbound.core.Origins;
import org.cardbound.core.TestPki;
import org.cardbound.core.TestPki.Issued;
import org.cardbound.core.Times;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Every rule of docs/protocol.md §8 both ways: a token that just passes and
// one that just fails, named by the rule's number (as the C++
// server/tests/token_checks_test.cpp). The PKI is made with openssl at test
// time; certificates start now, and the clock moves instead.
class TokenRulesTest {
    static final String ORIGIN = "https://rp.example";
    static final String NONCE = "EzcpTQUUWaUEfv2lmz0YI5Ai1nE5HVCfcN9fJXhErKI=";
    // A while after the PKI is made: its certificates start when openssl makes them.
    static final Instant NOW = Instant.now().plus(Duration.ofMinutes(10));

    static TestPki pki;
    static Issued root;
    static Issued ca;
    static Issued card;
    static Path caKey;
    static Path cardKey;

    @BeforeAll
    static void makePki() throws Exception {
        pki = new TestPki();
        Path rootKey = pki.key("root", "ec:P-384");
        root = pki.root("root", "/O=Cards/CN=Test Root", rootKey, 3650,
                "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash");
        caKey = pki.key("ca", "ec:P-256");
        ca = pki.issue("ca", "/O=Cards/CN=Test Issuing CA", caKey, root, 1825, TestPki.CA_EXTENSIONS, "sha256");
        cardKey = pki.key("card", "ec:P-256");
        card = pki.issue("card", "/C=EE/O=Cards/CN=Card Holder", cardKey, ca, TestPki.CARD_EXTENSIONS);
    }

    // A web-eid:1.0 token as a card makes it: the signature over H(H(origin) || H(nonce)).
    static ObjectNode token(Issued cert, Path key, Algorithm alg, String origin, String nonce) throws CertificateEncodingException {
        PrivateKey k = TestPki.privateKey(key);
        byte[] signature;
        try {
            var s = alg.newSignature();
            s.initSign(k);
            s.update(Digests.loginSigningInput(alg, origin, nonce));
            signature = s.sign();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        ObjectNode t = Json.mapper().createObjectNode();
        t.put("unverifiedCertificate", Base64Text.encode(cert.certificate().getEncoded())).put("algorithm", alg.name())
                .put("signature", Base64Text.encode(signature)).put("format", "web-eid:1.0").put("appVersion", "https://web-eid.eu/");
        return t;
    }

    static ObjectNode good() throws CertificateEncodingException {
        return token(card, cardKey, Algorithm.ES256, ORIGIN, NONCE);
    }

    // "ok" or the code, as the C++ tests write it. When build/server/cardbound-verify
    // is built, the same case goes through it too and must give the same code
    // (a first differential; the CLI refuses a bad --origin at start, so rule 3's
    // failing cases are the library's only).
    static String check(List<Path> trust, List<Path> crls, Instant at, JsonNode token, String origin) {
        String java = javaOnly(trust, crls, at, token, origin);
        String cpp = Origins.relyingPartyProblem(origin).isEmpty() ? cpp(trust, crls, at, token, origin) : null;
        if (cpp != null) assertEquals(cpp, java, "cardbound-verify (C++) and the Java validator differ");
        return java;
    }

    static String javaOnly(List<Path> trust, List<Path> crls, Instant at, JsonNode token, String origin) {
        TokenValidator v = new TokenValidator(TrustAnchors.fromFiles(trust), RevocationLists.fromFiles(crls),
                Clock.fixed(at.truncatedTo(ChronoUnit.SECONDS), ZoneOffset.UTC));
        try {
            v.validate(token, origin, NONCE);
            return "ok";
        } catch (ValidationException e) {
            return e.code().name();
        }
    }

    static int cases = 0;

    // cardbound-verify's answer, "ok" or the code; null when it is not built.
    static String cpp(List<Path> trust, List<Path> crls, Instant at, JsonNode token, String origin) {
        String verify = System.getProperty("cardbound.verify");
        if (verify == null || !Files.isExecutable(Path.of(verify))) return null;
        try {
            Path file = pki.dir.resolve("token-" + (++cases) + ".json");
            Files.writeString(file, token == null ? "not json" : Json.write(token));
            List<String> command = new ArrayList<>(List.of(verify, "--token", file.toString(), "--origin", origin, "--nonce", NONCE,
                    "--at", Times.format(at), "--ocsp", "off"));
            for (Path t : trust) command.addAll(List.of("--trust", t.toString()));
            for (Path c : crls) command.addAll(List.of("--crl", c.toString()));
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exit = p.waitFor();
            if (exit == 0) return "ok";
            if (exit == 1) return out.lines().findFirst().orElse("");
            return "exit " + exit;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("cannot run " + verify, e);
        }
    }

    static String check(JsonNode token) {
        return check(List.of(ca.cert()), List.of(), NOW, token, ORIGIN);
    }

    static String underCa(Issued cert, Path key, Algorithm alg) throws CertificateEncodingException {
        return check(token(cert, key, alg, ORIGIN, NONCE));
    }

    @AfterAll
    static void removePki() {
        pki.close();
    }

    @Test
    void rule01_form() throws Exception {
        assertEquals("ok", check(good()));
        ObjectNode lean = good();
        lean.remove("appVersion");
        lean.putObject("futureMember").put("anything", 1);
        assertEquals("ok", check(lean), "unknown members ignored, appVersion optional");
        ObjectNode noSignature = good();
        noSignature.remove("signature");
        assertEquals("TOKEN_MALFORMED", check(noSignature));
        assertEquals("TOKEN_MALFORMED", check(good().put("format", "web-eid:2")));
        assertEquals("TOKEN_MALFORMED", check(good().put("signature", "not base64!")));
        assertEquals("TOKEN_MALFORMED", check(good().put("appVersion", "x".repeat(257))));
        assertEquals("TOKEN_MALFORMED", check(Json.parse("[1, 2]")));
        assertEquals("TOKEN_MALFORMED", check(null), "no JSON at all");
    }

    @Test
    void rule02_algorithmName() throws Exception {
        assertEquals("ok", check(good()));
        assertEquals("ALGORITHM_UNSUPPORTED", check(good().put("algorithm", "ES256K")));
        assertEquals("ALGORITHM_UNSUPPORTED", check(good().put("algorithm", "es256")));
        assertEquals("ALGORITHM_UNSUPPORTED", check(good().put("algorithm", "ES256K").put("signature", "not base64!")),
                "an unknown algorithm is named before a later member's fault, as the C++ reader does");
        assertEquals("TOKEN_MALFORMED", check(good().put("algorithm", "ES256K").put("unverifiedCertificate", "not base64!")));
    }

    @Test
    void rule03_origin() throws Exception {
        String port = "https://rp.example:8443";
        assertEquals("ok", check(List.of(ca.cert()), List.of(), NOW, token(card, cardKey, Algorithm.ES256, port, NONCE), port));
        for (String bad : List.of("http://rp.example", "https://RP.example", "https://rp.example/", "https://rp.example:443"))
            assertEquals("ORIGIN_MISMATCH", check(List.of(ca.cert()), List.of(), NOW, good(), bad), bad);
    }

    @Test
    void rule04_oneDerCertificate() throws Exception {
        assertEquals("ok", check(good()));
        byte[] der = card.certificate().getEncoded();
        assertEquals("TOKEN_MALFORMED", check(good().put("unverifiedCertificate", Base64Text.encode(Arrays.copyOf(der, der.length + 1)))));
        assertEquals("TOKEN_MALFORMED", check(good().put("unverifiedCertificate", Base64Text.encode(Arrays.copyOf(der, der.length - 1)))));
        assertEquals("TOKEN_MALFORMED", check(good().put("unverifiedCertificate", Base64Text.encode(new byte[] {1, 2, 3}))));
        // A key that cannot be read: its point off the curve (the last byte of y
        // changed), or an algorithm no one knows (id-ecPublicKey's 1.2 made 1.3).
        byte[] point = card.certificate().getPublicKey().getEncoded();
        int at = indexOf(der, Arrays.copyOfRange(point, point.length - 65, point.length)) + 64;
        byte[] offCurve = der.clone();
        offCurve[at] ^= 1;
        assertEquals("TOKEN_MALFORMED", check(good().put("unverifiedCertificate", Base64Text.encode(offCurve))));
        byte[] unknownKey = der.clone();
        unknownKey[indexOf(der, new byte[] {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01}) + 2] = 0x2b;
        assertEquals("TOKEN_MALFORMED", check(good().put("unverifiedCertificate", Base64Text.encode(unknownKey))));
    }

    static int indexOf(byte[] in, byte[] what) {
        for (int i = 0; i + what.length <= in.length; i++)
            if (Arrays.equals(Arrays.copyOfRange(in, i, i + what.length), what)) return i;
        throw new AssertionError("not found");
    }

    @Test
    void rule05_cardKey() throws Exception {
        Path rsa2048 = pki.key("rsa2048", "rsa:2048");
        assertEquals("ok", underCa(pki.issue("rsa2048", "/CN=RSA 2048", rsa2048, ca, TestPki.CARD_EXTENSIONS), rsa2048, Algorithm.RS256));
        Path rsa1024 = pki.key("rsa1024", "rsa:1024");
        assertEquals("ALGORITHM_UNSUPPORTED",
                underCa(pki.issue("rsa1024", "/CN=RSA 1024", rsa1024, ca, TestPki.CARD_EXTENSIONS), rsa1024, Algorithm.RS256));
        Path k1 = pki.key("k1", "ec:secp256k1");
        Issued k1Card = pki.issue("k1", "/CN=secp256k1", k1, ca, TestPki.CARD_EXTENSIONS);
        // Signed as ES256 would be; the curve is refused before the signature is looked at.
        ObjectNode t = good().put("unverifiedCertificate", Base64Text.encode(k1Card.certificate().getEncoded()));
        assertEquals("ALGORITHM_UNSUPPORTED", check(t));
        // P-256 spelled out instead of named.
        Path explicit = pki.dir.resolve("explicit.key");
        TestPki.run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-pkeyopt",
                "ec_param_enc:explicit", "-out", explicit.toString());
        Path csr = pki.dir.resolve("explicit.csr");
        Path der = pki.dir.resolve("explicit.der");
        Path cfg = pki.dir.resolve("explicit.cnf");
        Files.writeString(cfg, "[req]\ndistinguished_name = dn\n[dn]\n[v3]\n" + TestPki.CARD_EXTENSIONS + "\n");
        TestPki.run("openssl", "req", "-new", "-key", explicit.toString(), "-subj", "/CN=Explicit P-256", "-config", cfg.toString(),
                "-out", csr.toString());
        TestPki.run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", ca.cert().toString(), "-CAkey", caKey.toString(),
                "-set_serial", "9999", "-days", "365", "-extfile", cfg.toString(), "-extensions", "v3", "-outform", "DER",
                "-out", der.toString());
        // Refused both sides, with another code: the JDK cannot read such a
        // certificate at all (rule 4, TOKEN_MALFORMED); OpenSSL reads it and
        // its strict mode refuses it (rule 11, CERT_UNTRUSTED). A known difference.
        ObjectNode t2 = good().put("unverifiedCertificate", Base64Text.encode(Files.readAllBytes(der)));
        assertEquals("TOKEN_MALFORMED", javaOnly(List.of(ca.cert()), List.of(), NOW, t2, ORIGIN));
        String cpp = cpp(List.of(ca.cert()), List.of(), NOW, t2, ORIGIN);
        if (cpp != null) assertEquals("CERT_UNTRUSTED", cpp);
    }

    @Test
    void rule06_algorithmFitsKey() throws Exception {
        assertEquals("ALGORITHM_UNSUPPORTED", check(good().put("algorithm", "ES384")));
        assertEquals("ALGORITHM_UNSUPPORTED", check(good().put("algorithm", "RS256")));
        Path p384 = pki.key("p384", "ec:P-384");
        assertEquals("ok", underCa(pki.issue("p384", "/CN=P-384", p384, ca, TestPki.CARD_EXTENSIONS), p384, Algorithm.ES384));
        Path rsa = pki.key("pss", "rsa:2048");
        Issued rsaCard = pki.issue("pss", "/CN=PSS", rsa, ca, TestPki.CARD_EXTENSIONS);
        assertEquals("ok", underCa(rsaCard, rsa, Algorithm.PS256));
        assertEquals("ALGORITHM_UNSUPPORTED", check(token(rsaCard, rsa, Algorithm.PS256, ORIGIN, NONCE).put("algorithm", "ES256")));
    }

    @Test
    void rule07_cardValidity() throws Exception {
        List<Path> trust = List.of(ca.cert());
        assertEquals("ok", check(trust, List.of(), NOW.plus(Duration.ofDays(364)), good(), ORIGIN));
        assertEquals("CERT_EXPIRED", check(trust, List.of(), NOW.plus(Duration.ofDays(366)), good(), ORIGIN));
        assertEquals("CERT_NOT_YET_VALID", check(trust, List.of(), NOW.minus(Duration.ofDays(1)), good(), ORIGIN));
        assertEquals("CERT_EXPIRED", check(trust, List.of(), card.certificate().getNotAfter().toInstant(), good(), ORIGIN),
                "at notAfter exactly it has expired, as OpenSSL says");
    }

    @Test
    void rule08_pathToAnAnchor() throws Exception {
        assertEquals("ok", check(List.of(ca.cert()), List.of(), NOW, good(), ORIGIN), "the issuing CA as the anchor");
        assertEquals("ok", check(List.of(pki.bundle("both", root, ca)), List.of(), NOW, good(), ORIGIN), "root and issuing CA");
        Path otherKey = pki.key("other", "ec:P-256");
        Issued other = pki.root("other", "/O=Cards/CN=Test Issuing CA", otherKey, 3650, TestPki.CA_EXTENSIONS);
        assertEquals("CERT_UNTRUSTED", check(List.of(other.cert()), List.of(), NOW, good(), ORIGIN), "same name, another key");
        assertEquals("CERT_UNTRUSTED", check(List.of(root.cert()), List.of(), NOW, good(), ORIGIN), "the issuing CA is not configured");
        // A card for e-mail from an issuer that is not configured: no path is
        // found first (OpenSSL's order too), so CERT_UNTRUSTED, not its purpose.
        String mail = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\n"
                + "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid";
        Issued mailCard = pki.issue("mail-card", "/CN=Mail", cardKey, ca, mail);
        assertEquals("CERT_UNTRUSTED", check(List.of(root.cert()), List.of(), NOW,
                token(mailCard, cardKey, Algorithm.ES256, ORIGIN, NONCE), ORIGIN));
    }

    @Test
    void rule09_caValidity() throws Exception {
        Path shortKey = pki.key("short", "ec:P-256");
        Issued shortCa = pki.issue("short", "/O=Cards/CN=Short CA", shortKey, root, 10, TestPki.CA_EXTENSIONS, "sha256");
        Issued shortCard = pki.issue("shortcard", "/CN=Card of a short CA", cardKey, shortCa, TestPki.CARD_EXTENSIONS);
        List<Path> trust = List.of(pki.bundle("short-trust", root, shortCa));
        ObjectNode t = token(shortCard, cardKey, Algorithm.ES256, ORIGIN, NONCE);
        assertEquals("ok", check(trust, List.of(), NOW.plus(Duration.ofDays(9)), t, ORIGIN));
        assertEquals("CERT_EXPIRED", check(trust, List.of(), NOW.plus(Duration.ofDays(11)), t, ORIGIN));
    }

    @Test
    void rule10_caConstraints() throws Exception {
        // pathLen of the root binds no anchor below it: the path ends at the
        // first anchor, the issuing CA (OpenSSL's partial chain, the same on
        // the C++ side), so pathLen 0 and 1 of the root both let the card in.
        Path pk = pki.key("plroot", "ec:P-256");
        String rootExt = "keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nbasicConstraints=critical,CA:TRUE,pathlen:";
        for (int pathLen : new int[] {0, 1}) {
            Issued r = pki.root("pl" + pathLen, "/CN=PathLen Root " + pathLen, pk, 3650, rootExt + pathLen);
            Issued i = pki.issue("pli" + pathLen, "/CN=PathLen CA " + pathLen, caKey, r, 1825, TestPki.CA_EXTENSIONS, "sha256");
            Issued c = pki.issue("plc" + pathLen, "/CN=PathLen card", cardKey, i, TestPki.CARD_EXTENSIONS);
            String got = check(List.of(pki.bundle("pl-trust" + pathLen, r, i)), List.of(), NOW,
                    token(c, cardKey, Algorithm.ES256, ORIGIN, NONCE), ORIGIN);
            assertEquals("ok", got, "pathLen " + pathLen);
        }
        // Name constraints of the issuing CA: its cards under O=Cards only,
        // the CA configured with its root and alone.
        Issued nc = pki.issue("nc", "/O=Cards/CN=Constrained CA", caKey, root, 1825,
                TestPki.CA_EXTENSIONS + "\nnameConstraints=critical,permitted;dirName:nc_dir\n[nc_dir]\nO=Cards", "sha256");
        for (String o : List.of("Cards", "Elsewhere")) {
            Issued c = pki.issue("nc-" + o, "/O=" + o + "/CN=Holder", cardKey, nc, TestPki.CARD_EXTENSIONS);
            ObjectNode t = token(c, cardKey, Algorithm.ES256, ORIGIN, NONCE);
            String expected = o.equals("Cards") ? "ok" : "CERT_UNTRUSTED";
            assertEquals(expected, check(List.of(pki.bundle("nc-trust", root, nc)), List.of(), NOW, t, ORIGIN), "under the root: " + o);
            assertEquals(expected, check(List.of(nc.cert()), List.of(), NOW, t, ORIGIN), "the constrained CA as the anchor: " + o);
        }
    }

    @Test
    void rule11_strictX509() throws Exception {
        String[] variants = {
            TestPki.CA_EXTENSIONS,
            "basicConstraints=CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid",
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=none\nauthorityKeyIdentifier=none",
        };
        String[] expected = {"ok", "CERT_UNTRUSTED", "CERT_UNTRUSTED"};
        for (int v = 0; v < variants.length; v++) {
            Issued loose = pki.issue("loose" + v, "/CN=Loose CA " + v, caKey, root, 1825, variants[v], "sha256");
            String cardExt = v == 2 ? "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
                    + "subjectKeyIdentifier=none\nauthorityKeyIdentifier=none"
                    : TestPki.CARD_EXTENSIONS; // no authorityKeyIdentifier without the CA's SKI
            Issued c = pki.issue("loosecard" + v, "/CN=Card of a loose CA", cardKey, loose, cardExt);
            assertEquals(expected[v], check(List.of(pki.bundle("loose-trust" + v, root, loose)), List.of(), NOW,
                    token(c, cardKey, Algorithm.ES256, ORIGIN, NONCE), ORIGIN), "variant " + v);
        }
    }

    @Test
    void rule11_strictX509OfTheCard() throws Exception {
        String noAkid = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
                + "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=none";
        assertEquals("CERT_UNTRUSTED", underCa(pki.issue("noakid", "/CN=No AKID", cardKey, ca, noAkid), cardKey, Algorithm.ES256));
        String certSign = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyCertSign\nextendedKeyUsage=clientAuth\n"
                + "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid";
        assertEquals("CERT_UNTRUSTED", underCa(pki.issue("certsign", "/CN=Signs certificates", cardKey, ca, certSign), cardKey,
                Algorithm.ES256));
    }

    @Test
    void rule12_pathAlgorithms() throws Exception {
        assertEquals("ok", underCa(pki.issue("sha384", "/CN=SHA-384", cardKey, ca, 365, TestPki.CARD_EXTENSIONS, "sha384"), cardKey,
                Algorithm.ES256));
        assertEquals("CERT_UNTRUSTED", underCa(pki.issue("sha1", "/CN=SHA-1", cardKey, ca, 365, TestPki.CARD_EXTENSIONS, "sha1"),
                cardKey, Algorithm.ES256));
        assertEquals("CERT_UNTRUSTED", underCa(pki.issue("sha224", "/CN=SHA-224", cardKey, ca, 365, TestPki.CARD_EXTENSIONS, "sha224"),
                cardKey, Algorithm.ES256));
    }

    @Test
    void rule13_keyUsage() throws Exception {
        String base = "basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nextendedKeyUsage=clientAuth\n";
        assertEquals("ok", underCa(pki.issue("ku-ds", "/CN=KU", cardKey, ca, base + "keyUsage=critical,digitalSignature,nonRepudiation"),
                cardKey, Algorithm.ES256));
        assertEquals("CERT_WRONG_PURPOSE", underCa(pki.issue("ku-ke", "/CN=KU", cardKey, ca, base + "keyUsage=critical,keyAgreement"),
                cardKey, Algorithm.ES256));
        assertEquals("CERT_WRONG_PURPOSE", underCa(pki.issue("ku-none", "/CN=KU", cardKey, ca, base), cardKey, Algorithm.ES256));
    }

    @Test
    void rule14_extendedKeyUsage() throws Exception {
        String base = "basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nkeyUsage=critical,digitalSignature\n";
        assertEquals("ok", underCa(pki.issue("eku-none", "/CN=EKU", cardKey, ca, base), cardKey, Algorithm.ES256));
        assertEquals("ok", underCa(pki.issue("eku-both", "/CN=EKU", cardKey, ca, base + "extendedKeyUsage=emailProtection,clientAuth"),
                cardKey, Algorithm.ES256));
        assertEquals("CERT_WRONG_PURPOSE", underCa(pki.issue("eku-mail", "/CN=EKU", cardKey, ca,
                base + "extendedKeyUsage=emailProtection"), cardKey, Algorithm.ES256));
        // The purpose is judged before the CA's signature on the card (OpenSSL's
        // order): a card for e-mail with a damaged signature is still the wrong purpose.
        byte[] mail = pki.issue("eku-mail2", "/CN=EKU", cardKey, ca, base + "extendedKeyUsage=emailProtection").certificate().getEncoded();
        mail[mail.length - 1] ^= 1;
        assertEquals("CERT_WRONG_PURPOSE", check(good().put("unverifiedCertificate", Base64Text.encode(mail))));
        // A CA whose extendedKeyUsage leaves out clientAuth vouches for no
        // login: the path is built for a TLS client (rule 8), on both sides.
        Issued serverCa = pki.issue("eku-ca", "/O=Cards/CN=Server-only CA", caKey, root, 1825,
                TestPki.CA_EXTENSIONS + "\nextendedKeyUsage=serverAuth", "sha256");
        Issued c = pki.issue("eku-ca-card", "/CN=Card of a server-only CA", cardKey, serverCa, TestPki.CARD_EXTENSIONS);
        assertEquals("CERT_WRONG_PURPOSE", check(List.of(serverCa.cert()), List.of(), NOW, token(c, cardKey, Algorithm.ES256, ORIGIN, NONCE), ORIGIN));
        Issued bothCa = pki.issue("eku-ca2", "/O=Cards/CN=Client CA", caKey, root, 1825,
                TestPki.CA_EXTENSIONS + "\nextendedKeyUsage=serverAuth,clientAuth", "sha256");
        Issued c2 = pki.issue("eku-ca2-card", "/CN=Card of a client CA", cardKey, bothCa, TestPki.CARD_EXTENSIONS);
        assertEquals("ok", check(List.of(bothCa.cert()), List.of(), NOW, token(c2, cardKey, Algorithm.ES256, ORIGIN, NONCE), ORIGIN));
    }

    @Test
    void rule15_crls() throws Exception {
        Issued revoked = pki.issue("revoked", "/CN=Revoked Holder", cardKey, ca, TestPki.CARD_EXTENSIONS);
        List<Path> crl = List.of(pki.crl("ca-crl", ca, 7, revoked));
        List<Path> trust = List.of(ca.cert());
        assertEquals("ok", check(trust, crl, NOW, good(), ORIGIN), "not on the CRL");
        assertEquals("CERT_REVOKED", check(trust, crl, NOW, token(revoked, cardKey, Algorithm.ES256, ORIGIN, NONCE), ORIGIN));
        assertEquals("REVOCATION_UNKNOWN", check(trust, crl, NOW.plus(Duration.ofDays(8)), good(), ORIGIN), "past nextUpdate");
        List<Path> rootsOnly = List.of(pki.crl("root-crl", root, 7));
        assertEquals("REVOCATION_UNKNOWN", check(trust, rootsOnly, NOW, good(), ORIGIN), "no CRL of the card's issuer");
        Path forgerKey = pki.key("forger", "ec:P-256");
        Issued forger = pki.root("forger", "/O=Cards/CN=Test Issuing CA", forgerKey, 3650, TestPki.CA_EXTENSIONS);
        List<Path> forged = List.of(pki.crl("forged-crl", forger, 7));
        assertEquals("REVOCATION_UNKNOWN", check(trust, forged, NOW, good(), ORIGIN), "a CRL in the issuer's name, not by its key");
    }

    @Test
    void rule17_signature() throws Exception {
        assertEquals("ok", check(good()));
        assertEquals("SIGNATURE_INVALID", check(token(card, cardKey, Algorithm.ES256, ORIGIN, NONCE.replace('E', 'F'))));
        assertEquals("SIGNATURE_INVALID", check(token(card, cardKey, Algorithm.ES256, "https://evil.example", NONCE)));
        Path otherKey = pki.key("wrongkey", "ec:P-256");
        ObjectNode t = token(card, otherKey, Algorithm.ES256, ORIGIN, NONCE);
        assertEquals("SIGNATURE_INVALID", check(t), "signed by another key");
    }

    @Test
    void rule18_anchorsAreCas() throws Exception {
        assertTrue(TrustAnchors.fromFiles(List.of(ca.cert())).certificates().size() == 1);
        var e = assertThrows(IllegalArgumentException.class, () -> TrustAnchors.fromFiles(List.of(card.cert())));
        assertTrue(e.getMessage().contains(card.cert().toString()) && e.getMessage().contains("Card Holder"), e.getMessage());
        Path withKey = pki.dir.resolve("with-key.pem");
        Files.writeString(withKey, Files.readString(ca.cert()) + Files.readString(caKey));
        assertThrows(IllegalArgumentException.class, () -> TrustAnchors.fromFiles(List.of(withKey)));
        Path noKeyCertSign = pki.key("nokcs", "ec:P-256");
        Issued notSigning = pki.root("nokcs", "/CN=No keyCertSign", noKeyCertSign, 3650,
                "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,cRLSign\nsubjectKeyIdentifier=hash");
        assertThrows(IllegalArgumentException.class, () -> TrustAnchors.fromFiles(List.of(notSigning.cert())));
    }
}

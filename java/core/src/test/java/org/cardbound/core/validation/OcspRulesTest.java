package org.cardbound.core.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cardbound.core.OpensslOcsp;
import org.cardbound.core.TestPki;
import org.cardbound.core.TestPki.Issued;
import org.cardbound.core.validation.checks.OcspCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Rule 16 of docs/protocol.md §8 both ways (as the C++
// server/tests/ocsp_rules_test.cpp): the OCSP check on a card whose path is
// already built, answered by `openssl ocsp` made at test time, through the
// injectable transport (offline, -reqin/-respout) and once over real HTTP.
class OcspRulesTest {
    static TestPki pki;
    static Issued ca;
    static Issued card; // good
    static Issued revokedCard;
    static Issued strangerCard; // not in the responder's index: unknown
    static Issued aiaCard; // names its responder (AIA)
    static Issued delegate; // issued by the CA, EKU OCSPSigning
    static Issued notDelegate; // issued by the CA, EKU clientAuth
    static Issued stranger; // self-signed, EKU OCSPSigning
    static OpensslOcsp responder;

    @BeforeAll
    static void makePki() {
        try {
            pki = new TestPki();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Path caKey = pki.key("ca", "ec:P-256");
        ca = pki.root("ca", "/O=Cards/CN=OCSP Test CA", caKey, 3650, TestPki.CA_EXTENSIONS.replace("authorityKeyIdentifier=keyid", ""));
        Path cardKey = pki.key("card", "ec:P-256");
        card = pki.issue("card", "/C=EE/O=Cards/CN=Good Card", cardKey, ca, TestPki.CARD_EXTENSIONS);
        revokedCard = pki.issue("revoked", "/C=EE/O=Cards/CN=Revoked Card", cardKey, ca, TestPki.CARD_EXTENSIONS);
        strangerCard = pki.issue("unknown", "/C=EE/O=Cards/CN=Unknown Card", cardKey, ca, TestPki.CARD_EXTENSIONS);
        aiaCard = pki.issue("aia", "/C=EE/O=Cards/CN=AIA Card", cardKey, ca,
                TestPki.CARD_EXTENSIONS + "\nauthorityInfoAccess=OCSP;URI:http://ocsp.test.invalid/card");
        Path rKey = pki.key("responder", "ec:P-256");
        String responderExt = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
        delegate = pki.issue("delegate", "/CN=OCSP Responder", rKey, ca, responderExt + "extendedKeyUsage=OCSPSigning");
        notDelegate = pki.issue("notdelegate", "/CN=Not A Responder", rKey, ca, responderExt + "extendedKeyUsage=clientAuth");
        Path sKey = pki.key("stranger", "ec:P-256");
        stranger = pki.root("stranger", "/O=Cards/CN=OCSP Test CA", sKey, 30, "extendedKeyUsage=OCSPSigning\nsubjectKeyIdentifier=hash");
        responder = new OpensslOcsp(pki, ca, "ca").add(card, false).add(revokedCard, true).add(aiaCard, false);
    }

    @AfterAll
    static void removePki() {
        pki.close();
    }

    // A minute after the class loads: the PKI (made after) is valid then, and
    // the answers' thisUpdate (when they are made) are a little before it.
    static final Instant NOW = Instant.now().plus(Duration.ofMinutes(1));

    static String outcome(OcspCheck check, Issued cert, Instant at) {
        Candidate c = new Candidate(null, "https://rp.example", "n", at);
        c.certificate = cert.certificate();
        c.path = List.of(cert.certificate(), ca.certificate());
        try {
            check.run(c);
            return "good";
        } catch (ValidationException e) {
            return e.code().name();
        }
    }

    static OcspCheck check(OcspTransport transport, boolean softFail) {
        return new OcspCheck(new OcspSettings("http://ocsp.test.invalid/", softFail, OcspSettings.SKEW, transport));
    }

    static String at(Issued cert, Instant at, OcspTransport transport) {
        return outcome(check(transport, false), cert, at);
    }

    static OcspTransport bySigner(Issued signer) {
        return responder.transport(signer, 60, false, null);
    }

    @Test
    void rule16GoodIsGoodRevokedIsRevokedUnknownIsUnknown() {
        assertEquals("good", at(card, NOW, bySigner(ca)));
        assertEquals("CERT_REVOKED", at(revokedCard, NOW, bySigner(ca)));
        assertEquals("REVOCATION_UNKNOWN", at(strangerCard, NOW, bySigner(ca)));
    }

    @Test
    void rule16NoUsableAnswerIsUnknown() {
        OcspTransport unreachable = (url, req) -> {
            throw new IOException("connection refused");
        };
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW, unreachable));
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW, (url, req) -> new OcspTransport.Response(200, new byte[] {0x30, 0x03, 1, 2, 3})));
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW, (url, req) -> new OcspTransport.Response(200, "not DER".getBytes())));
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW, (url, req) -> new OcspTransport.Response(500, new byte[0])));
        // "tryLater" (3): a well-formed refusal.
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW, (url, req) -> new OcspTransport.Response(200, new byte[] {0x30, 0x03, 0x0A, 0x01, 0x03})));
        // A good answer whose signed data changed after signing: producedAt's
        // last digit, still a time.
        OcspTransport good = bySigner(ca);
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW, (url, req) -> {
            byte[] b = good.post(url, req).body().clone();
            int i = 0;
            while (!(b[i] == 0x18 && b[i + 1] == 0x0F)) i++;
            b[i + 2 + 13] ^= 1;
            return new OcspTransport.Response(200, b);
        }));
        // Every truncation of a real answer, and every byte of it changed:
        // unknown, never anything else (the bounded reader fails closed).
        byte[][] real = new byte[1][];
        assertEquals("good", at(card, NOW, (url, req) -> {
            OcspTransport.Response r = good.post(url, req);
            real[0] = r.body();
            return r;
        }));
        for (int n = 0; n < real[0].length; n++) {
            byte[] cut = java.util.Arrays.copyOf(real[0], n);
            assertEquals("REVOCATION_UNKNOWN", at(card, NOW, (url, req) -> new OcspTransport.Response(200, cut)), "cut at " + n);
            byte[] changed = real[0].clone();
            changed[n] ^= (byte) 0x80;
            assertEquals("REVOCATION_UNKNOWN", at(card, NOW, (url, req) -> new OcspTransport.Response(200, changed)), "byte " + n);
        }
    }

    @Test
    void rule16TheAnswerMustCarryOurNonce() {
        assertEquals("good", at(card, NOW, responder.transport(ca, 60, false, null)));
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW, responder.transport(ca, 60, true, null)));
        assertEquals("REVOCATION_UNKNOWN", at(revokedCard, NOW, responder.transport(ca, 60, true, null)), "not even a revoked one");
    }

    @Test
    void rule16SignedByTheIssuerOrAResponderItDelegatedToNobodyElse() {
        assertEquals("good", at(card, NOW, bySigner(delegate)));
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW, bySigner(notDelegate)));
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW, bySigner(stranger)), "a stranger with the CA's name");
        // The delegate must be valid at the validation time (it expires in
        // 365 days; the answers are good for 400).
        Instant later = NOW.plus(Duration.ofDays(380));
        assertEquals("good", at(card, later, responder.transport(ca, 400 * 1440, false, null)));
        assertEquals("REVOCATION_UNKNOWN", at(card, later, responder.transport(delegate, 400 * 1440, false, null)));
    }

    @Test
    void rule16FreshAtTheValidationTimeGiveOrTakeFiveMinutes() {
        // thisUpdate is when the answer is made, within a minute before NOW
        // (whole seconds): a validation time 4 minutes before NOW takes it
        // (thisUpdate <= time + 5 min), 7 minutes before does not.
        assertEquals("good", at(card, NOW.minus(Duration.ofMinutes(4)), bySigner(ca)));
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW.minus(Duration.ofMinutes(7)), bySigner(ca)));
        // nextUpdate is 10 minutes after that: good up to 5 minutes past it.
        OcspTransport tenMinutes = responder.transport(ca, 10, false, null);
        assertEquals("good", at(card, NOW.plus(Duration.ofMinutes(13)), tenMinutes));
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW.plus(Duration.ofMinutes(16)), tenMinutes));
        // Long past its nextUpdate.
        assertEquals("REVOCATION_UNKNOWN", at(card, NOW.plus(Duration.ofDays(2)), tenMinutes));
    }

    @Test
    void rule16HardFailByDefaultSoftFailNeverAcceptsARevokedCard() {
        OcspTransport unreachable = (url, req) -> {
            throw new IOException("connection refused");
        };
        assertEquals("REVOCATION_UNKNOWN", outcome(check(unreachable, false), card, NOW));
        assertEquals("good", outcome(check(unreachable, true), card, NOW));
        assertEquals("good", outcome(check(responder.transport(ca, 60, true, null), true), card, NOW), "a wrong nonce, soft-fail");
        assertEquals("CERT_REVOKED", outcome(check(bySigner(ca), true), revokedCard, NOW));
    }

    @Test
    void rule16TheResponderIsTheCertificatesOrTheConfiguredOne() {
        List<String> urls = new ArrayList<>();
        OcspTransport t = responder.transport(ca, 60, false, urls);
        OcspCheck aia = new OcspCheck(new OcspSettings(null, false, OcspSettings.SKEW, t));
        assertEquals("good", outcome(aia, aiaCard, NOW));
        assertEquals(List.of("http://ocsp.test.invalid/card"), urls);
        assertEquals("REVOCATION_UNKNOWN", outcome(aia, card, NOW), "no AIA, no responder");
        assertEquals(1, urls.size());
        assertEquals("good", outcome(check(t, false), aiaCard, NOW));
        assertEquals("http://ocsp.test.invalid/", urls.get(1));
    }

    @Test
    void rule16AnswersAreKeptUntilTheirNextUpdate() {
        OcspCheck c = check(responder.transport(ca, 10, false, null), false);
        assertEquals("good", outcome(c, card, NOW));
        assertEquals("good", outcome(c, card, NOW.plus(Duration.ofMinutes(8))));
        assertEquals(1, c.queries());
        assertEquals("CERT_REVOKED", outcome(c, revokedCard, NOW));
        assertEquals("CERT_REVOKED", outcome(c, revokedCard, NOW.plus(Duration.ofMinutes(1))));
        assertEquals(2, c.queries());
        assertEquals(2, c.cacheSize());
        assertEquals("good", outcome(c, card, NOW.plus(Duration.ofMinutes(11))));
        assertEquals(3, c.queries());
    }

    @Test
    void rule16OverHttpFromARealResponder() throws Exception {
        try (OpensslOcsp.Served served = responder.serve(60)) {
            OcspCheck c = new OcspCheck(OcspSettings.of(served.url(), false));
            assertEquals("good", outcome(c, card, NOW));
            assertEquals("CERT_REVOKED", outcome(c, revokedCard, NOW));
            assertEquals("REVOCATION_UNKNOWN", outcome(c, strangerCard, NOW));
        }
        // Nobody listens there any more.
        assertEquals("REVOCATION_UNKNOWN", outcome(new OcspCheck(OcspSettings.of("http://127.0.0.1:9/", false)), card, NOW));
    }
}

package org.cardbound.core.session;

import static org.cardbound.core.session.Outcome.outcome;
import static org.cardbound.core.session.Outcome.race;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.cardbound.core.Algorithm;
import org.cardbound.core.Base64Text;
import org.cardbound.core.Json;
import org.cardbound.core.Nonces;
import org.cardbound.core.ServerChallenge;
import org.cardbound.core.TestFiles;
import org.cardbound.core.TestPki;
import org.cardbound.core.TestPki.Issued;
import org.cardbound.core.TransactionChallenge;
import org.cardbound.core.TransactionConfirmation;
import org.cardbound.core.validation.TokenValidator;
import org.cardbound.core.validation.TrustAnchors;
import org.cardbound.core.validation.ValidationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

// Transaction confirmation (docs/protocol.md §4.4, §4.5): a challenge for a
// live, confirmed session, confirmed by its card (EC with ES256, RSA with
// PS256, software keys of the test PKI standing in for cards), and every
// refusal with its code, in the C++ Transactions' order
// (server/src/session/transactions.cpp).
class TransactionsTest {
    static final String ORIGIN = "https://rp.example";
    static final String TEXT = "Pay 1,200.00 EUR to ACME Ltd";
    static final int LIFETIME = 120, INTERVAL = 30, GRACE = 10, TX_LIFETIME = 20;

    static TestPki pki;
    static Issued root;
    static Issued siteCert;
    static TestCard ecCard;
    static TestCard rsaCard;
    static TestCard ecCard2; // another card of the same holder kind

    TestClock clock;
    RelyingParty rp;
    MemoryTransactionStore store;
    Transactions tx;

    @BeforeAll
    static void makePki() throws Exception {
        pki = new TestPki();
        root = pki.root("root", "/O=Cards/CN=Test Root", pki.key("root", "ec:P-256"), 3650,
                TestPki.CA_EXTENSIONS.replace("\nauthorityKeyIdentifier=keyid", ""));
        Path k1 = pki.key("card-ec", "ec:P-256");
        ecCard = new TestCard(pki.issue("card-ec", "/C=EE/O=Cards/CN=Card Holder", k1, root, TestPki.CARD_EXTENSIONS),
                TestPki.privateKey(k1), Algorithm.ES256);
        Path k2 = pki.key("card-rsa", "rsa:2048");
        rsaCard = new TestCard(pki.issue("card-rsa", "/C=EE/O=Cards/CN=Rsa Holder", k2, root, TestPki.CARD_EXTENSIONS),
                TestPki.privateKey(k2), Algorithm.PS256);
        Path k3 = pki.key("card-ec2", "ec:P-256");
        ecCard2 = new TestCard(pki.issue("card-ec2", "/C=EE/O=Cards/CN=Other Holder", k3, root, TestPki.CARD_EXTENSIONS),
                TestPki.privateKey(k3), Algorithm.ES256);
        Path siteKey = pki.key("site", "ec:P-256");
        siteCert = pki.root("site", "/CN=rp.example", siteKey, 365, "basicConstraints=CA:FALSE\nsubjectAltName=DNS:rp.example");
    }

    @AfterAll
    static void removePki() {
        if (pki != null) pki.close();
    }

    @BeforeEach
    void makeRelyingParty() throws Exception {
        clock = new TestClock(Instant.now().plus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.SECONDS));
        TokenValidator validator = new TokenValidator(TrustAnchors.fromFiles(List.of(root.cert())), List.of(), clock);
        SiteIdentity site = new SiteIdentity(TestPki.privateKey(siteCert.key()), Algorithm.ES256,
                List.of(siteCert.certificate().getEncoded()));
        rp = new RelyingParty(new RelyingPartyConfig(ORIGIN, LIFETIME, INTERVAL, GRACE), site, validator, new MemoryNonceStore(clock),
                new MemorySessionStore(), clock);
        store = new MemoryTransactionStore();
        tx = new Transactions(rp, store, TX_LIFETIME);
    }

    Login login(TestCard card) throws ValidationException {
        ServerChallenge c = rp.challenge(Nonces.fresh());
        return rp.login(c.serverNonce(), card.token(ORIGIN, c.serverNonce()), null);
    }

    CardSession confirmed(TestCard card) throws ValidationException {
        Login l = login(card);
        rp.confirm(l.session().id(), card.proof(ORIGIN, l.session().tag(), l.receipt().presenceNonce()));
        return l.session();
    }

    // The card's answer to the challenge, as the host makes it.
    static ObjectNode answer(TestCard card, TransactionChallenge c) {
        return card.confirmation(c.origin(), c.sessionTag(), c.text(), c.nonce());
    }

    @Test
    void aCardConfirmsTheTextItWasAsked() throws Exception {
        for (TestCard card : List.of(ecCard, rsaCard)) {
            CardSession s = confirmed(card);
            TransactionChallenge c = tx.challenge(s.id(), TEXT);
            // What the page gets, and the host checks: signed by the site, for this session.
            TransactionChallenge read = TransactionChallenge.fromJson(Json.parse(Json.write(c.toJson())));
            assertTrue(read.verify(siteCert.certificate().getPublicKey()));
            assertEquals(ORIGIN, read.origin());
            assertEquals(s.tag(), read.sessionTag());
            assertEquals(TEXT, read.text());
            assertEquals(32, Base64Text.decode(read.nonce()).orElseThrow().length);
            assertEquals(Instant.parse(read.issuedAt()).plusSeconds(TX_LIFETIME), Instant.parse(read.expiresAt()));
            ConfirmedTransaction ok = tx.confirm(s.id(), answer(card, read));
            assertEquals(TEXT, ok.text());
            assertEquals(c.nonce(), ok.nonce());
            assertEquals(s.tag(), ok.session().tag());
            assertEquals(card.certificate.certificate(), ok.session().certificate());
            assertEquals("ok", outcome(() -> rp.session(s.id()))); // the session goes on
        }
        assertEquals(0, store.size());
        Transactions byDefault = new Transactions(rp, store);
        assertEquals(LIFETIME, byDefault.lifetime());
        assertThrows(IllegalArgumentException.class, () -> new Transactions(rp, store, 301));
        assertThrows(IllegalArgumentException.class, () -> new Transactions(rp, store, 0));
    }

    @Test
    void aReplayedConfirmationIsUnknown() throws Exception {
        CardSession s = confirmed(ecCard);
        TransactionChallenge c = tx.challenge(s.id(), TEXT);
        ObjectNode a = answer(ecCard, c);
        assertEquals("ok", outcome(() -> tx.confirm(s.id(), a)));
        assertEquals("TRANSACTION_UNKNOWN", outcome(() -> tx.confirm(s.id(), a)));
    }

    @Test
    void aNonceNeverIssuedIsUnknown() throws Exception {
        CardSession s = confirmed(ecCard);
        tx.challenge(s.id(), TEXT);
        assertEquals("TRANSACTION_UNKNOWN", outcome(() -> tx.confirm(s.id(), ecCard.confirmation(ORIGIN, s.tag(), TEXT, Nonces.fresh()))));
    }

    @Test
    void anotherSessionsQuestionCanNeitherBeAnsweredNorUsedUp() throws Exception {
        CardSession mine = confirmed(ecCard);
        CardSession theirs = confirmed(ecCard2);
        TransactionChallenge c = tx.challenge(theirs.id(), TEXT);
        // The other session's card answers, but in my session: unknown here.
        assertEquals("TRANSACTION_UNKNOWN", outcome(() -> tx.confirm(mine.id(), answer(ecCard2, c))));
        // My card, my tag, their nonce: still unknown.
        assertEquals("TRANSACTION_UNKNOWN", outcome(() -> tx.confirm(mine.id(), ecCard.confirmation(ORIGIN, mine.tag(), TEXT, c.nonce()))));
        // Their question is still theirs to answer.
        assertEquals("ok", outcome(() -> tx.confirm(theirs.id(), answer(ecCard2, c))));
    }

    @Test
    void anotherSessionsTagIsUnknownAndUsesTheQuestionUp() throws Exception {
        CardSession s = confirmed(ecCard);
        TransactionChallenge c = tx.challenge(s.id(), TEXT);
        assertEquals("TRANSACTION_UNKNOWN",
                outcome(() -> tx.confirm(s.id(), ecCard.confirmation(ORIGIN, "AAAAAAAAAAAAAAAAAAAAAA", TEXT, c.nonce()))));
        assertEquals("TRANSACTION_UNKNOWN", outcome(() -> tx.confirm(s.id(), answer(ecCard, c))));
    }

    @Test
    void aChangedTextIsRefusedAndUsesTheQuestionUp() throws Exception {
        CardSession s = confirmed(ecCard);
        TransactionChallenge c = tx.challenge(s.id(), TEXT);
        // A page that changed the text after the window opened: the card signed what it was shown.
        String other = "Pay 9,999.00 EUR to EVIL Ltd";
        assertEquals("TRANSACTION_TEXT_CHANGED", outcome(() -> tx.confirm(s.id(), ecCard.confirmation(ORIGIN, s.tag(), other, c.nonce()))));
        // One try per question: the right answer after a wrong one is too late.
        assertEquals("TRANSACTION_UNKNOWN", outcome(() -> tx.confirm(s.id(), answer(ecCard, c))));
        // The issued text, sent back changed but signed as issued: changed all the same.
        TransactionChallenge c2 = tx.challenge(s.id(), TEXT);
        ObjectNode a = answer(ecCard, c2).put("text", other);
        assertEquals("TRANSACTION_TEXT_CHANGED", outcome(() -> tx.confirm(s.id(), a)));
    }

    @Test
    void anotherCardIsTheWrongCard() throws Exception {
        CardSession s = confirmed(ecCard);
        TransactionChallenge c = tx.challenge(s.id(), TEXT);
        assertEquals("TRANSACTION_WRONG_CARD", outcome(() -> tx.confirm(s.id(), answer(ecCard2, c))));
        // The session's certificate, signed by another card's key: a bad signature.
        TransactionChallenge c2 = tx.challenge(s.id(), TEXT);
        ObjectNode forged = answer(ecCard2, c2).put("certificate", Base64Text.encode(ecCard.der()));
        assertEquals("TRANSACTION_SIGNATURE_INVALID", outcome(() -> tx.confirm(s.id(), forged)));
    }

    @Test
    void aBadSignatureIsRefused() throws Exception {
        for (TestCard card : List.of(ecCard, rsaCard)) {
            CardSession s = confirmed(card);
            TransactionChallenge c = tx.challenge(s.id(), TEXT);
            ObjectNode a = answer(card, c);
            byte[] sig = Base64Text.decode(a.get("signature").textValue()).orElseThrow();
            sig[sig.length / 2] ^= 1;
            assertEquals("TRANSACTION_SIGNATURE_INVALID", outcome(() -> tx.confirm(s.id(), a.deepCopy().put("signature", Base64Text.encode(sig)))));
            // Another algorithm than the session's, even one its key could sign with.
            TransactionChallenge c2 = tx.challenge(s.id(), TEXT);
            Algorithm other = card.algorithm == Algorithm.PS256 ? Algorithm.RS256 : Algorithm.ES384;
            TestCard sameKeyOtherAlgorithm = new TestCard(card.certificate, card.key, other);
            if (other == Algorithm.RS256) {
                assertEquals("TRANSACTION_SIGNATURE_INVALID", outcome(() -> tx.confirm(s.id(), answer(sameKeyOtherAlgorithm, c2))));
            } else {
                ObjectNode relabelled = answer(card, c2).put("algorithm", other.name());
                assertEquals("TRANSACTION_SIGNATURE_INVALID", outcome(() -> tx.confirm(s.id(), relabelled)));
            }
            // A presence proof's or a login's signature over the same values is no confirmation.
            TransactionChallenge c3 = tx.challenge(s.id(), TEXT);
            ObjectNode presence = card.proof(ORIGIN, s.tag(), c3.nonce());
            ObjectNode asConfirmation = answer(card, c3).put("signature", presence.get("signature").textValue());
            assertEquals("TRANSACTION_SIGNATURE_INVALID", outcome(() -> tx.confirm(s.id(), asConfirmation)));
            // Signed for another origin.
            TransactionChallenge c4 = tx.challenge(s.id(), TEXT);
            ObjectNode otherOrigin = card.confirmation("https://evil.example", s.tag(), TEXT, c4.nonce());
            assertEquals("TRANSACTION_SIGNATURE_INVALID", outcome(() -> tx.confirm(s.id(), otherOrigin)));
        }
    }

    @Test
    void anExpiredQuestionIsUnknown() throws Exception {
        CardSession s = confirmed(ecCard);
        TransactionChallenge c = tx.challenge(s.id(), TEXT);
        TransactionChallenge onTime = tx.challenge(s.id(), TEXT);
        clock.advance(Duration.ofSeconds(TX_LIFETIME)); // at expiresAt: still good (the C++ now > expires)
        assertEquals("ok", outcome(() -> tx.confirm(s.id(), answer(ecCard, onTime))));
        clock.advance(Duration.ofSeconds(1));
        assertEquals("TRANSACTION_UNKNOWN", outcome(() -> tx.confirm(s.id(), answer(ecCard, c))));
        assertEquals("ok", outcome(() -> rp.session(s.id())));
    }

    @Test
    void invalidTextsAreNotAsked() throws Exception {
        CardSession s = confirmed(ecCard);
        for (String bad : new String[] {"", null, "Pay 1 EUR\nto ACME", "Pay 1 EUR to \u202EEMCA", "x".repeat(401), "Pay\t1",
                "Pay 1\u200B00 EUR", "€".repeat(134)})
            assertEquals("TRANSACTION_TEXT_INVALID", outcome(() -> tx.challenge(s.id(), bad)), String.valueOf(bad));
        assertEquals(400, org.cardbound.core.Registry.ValidationCode.TRANSACTION_TEXT_INVALID.httpStatus());
        assertEquals("ok", outcome(() -> tx.challenge(s.id(), "x".repeat(400))));
        assertEquals(1, store.size());
    }

    @Test
    void onlyALiveConfirmedSessionIsAskedOrAnswered() throws Exception {
        assertEquals("SESSION_UNKNOWN", outcome(() -> tx.challenge("no-such-session", TEXT)));
        assertEquals("SESSION_UNKNOWN", outcome(() -> tx.challenge(null, TEXT)));
        Login unconfirmed = login(ecCard);
        assertEquals("NOT_CONFIRMED", outcome(() -> tx.challenge(unconfirmed.session().id(), TEXT)));
        CardSession s = confirmed(ecCard);
        TransactionChallenge c = tx.challenge(s.id(), TEXT);
        ObjectNode a = answer(ecCard, c);
        rp.logout(s.id(), EndReason.LOGOUT);
        assertEquals("SESSION_UNKNOWN", outcome(() -> tx.confirm(s.id(), a)));
        CardSession late = confirmed(ecCard2);
        TransactionChallenge lc = tx.challenge(late.id(), TEXT);
        clock.advance(Duration.ofSeconds(INTERVAL + GRACE + 1));
        assertEquals("PRESENCE_LATE", outcome(() -> tx.confirm(late.id(), answer(ecCard2, lc))));
    }

    @Test
    void aMalformedConfirmationUsesNothingUp() throws Exception {
        CardSession s = confirmed(ecCard);
        TransactionChallenge c = tx.challenge(s.id(), TEXT);
        ObjectNode a = answer(ecCard, c);
        assertEquals("TOKEN_MALFORMED", outcome(() -> tx.confirm(s.id(), a.deepCopy().put("extra", 1))));
        assertEquals("TOKEN_MALFORMED", outcome(() -> tx.confirm(s.id(), a.deepCopy().put("text", "a\u2028b"))));
        assertEquals("TOKEN_MALFORMED", outcome(() -> tx.confirm(s.id(), a.deepCopy().put("algorithm", "none"))));
        assertEquals("TOKEN_MALFORMED", outcome(() -> tx.confirm(s.id(), a.deepCopy().put("format", "cardbound-presence:1"))));
        assertEquals("TOKEN_MALFORMED", outcome(() -> tx.confirm(s.id(), null)));
        assertEquals("TOKEN_MALFORMED", outcome(() -> tx.confirm(s.id(), Json.mapper().createArrayNode())));
        assertEquals("ok", outcome(() -> tx.confirm(s.id(), a)));
    }

    @Test
    void oneConfirmationSentOnSixteenThreadsIsAcceptedOnce() throws Exception {
        CardSession s = confirmed(ecCard);
        for (int round = 0; round < 10; round++) {
            TransactionChallenge c = tx.challenge(s.id(), TEXT + " #" + round);
            ObjectNode a = answer(ecCard, c);
            int ok = 0;
            for (String o : race(16, () -> tx.confirm(s.id(), a))) {
                if (o.equals("ok")) ok++;
                else assertEquals("TRANSACTION_UNKNOWN", o);
            }
            assertEquals(1, ok, "round " + round);
        }
    }

    // Across languages: a confirmation the C++ code signs (cardbound-test-server
    // confirmation: common/'s transaction_digest, signed as a card signs a
    // digest) is accepted by Java for the text it issued, so the digests agree
    // byte for byte, texts beyond ASCII included; the same C++ signature over
    // another text is refused.
    @Test
    void cppConfirmationsVerifyInJava() throws Exception {
        TestCard rs256 = new TestCard(rsaCard.certificate, rsaCard.key, Algorithm.RS256); // the C++ default for RSA
        for (TestCard card : List.of(ecCard, rs256)) {
            for (String text : List.of(TEXT, "Maksa 1 200 € ettevõttele Õun & Äri", "支付 1200 欧元 😀")) {
                CardSession s = confirmed(card);
                TransactionChallenge c = tx.challenge(s.id(), text);
                String made = TestPki.run(TestFiles.testServer().toString(), "confirmation", "--key", card.certificate.key().toString(),
                        "--cert", card.certificate.cert().toString(), "--origin", ORIGIN, "--session-tag", s.tag(), "--text", text,
                        "--nonce", c.nonce());
                ObjectNode cpp = (ObjectNode) Json.parse(made);
                assertEquals(card.algorithm.name(), cpp.get("algorithm").textValue());
                assertEquals("ok", outcome(() -> tx.confirm(s.id(), cpp)), card.algorithm + " " + text);
                TransactionChallenge c2 = tx.challenge(s.id(), text + "!");
                ObjectNode moved = cpp.deepCopy().put("nonce", c2.nonce()).put("text", c2.text());
                assertEquals("TRANSACTION_SIGNATURE_INVALID", outcome(() -> tx.confirm(s.id(), moved)));
                rp.logout(s.id(), EndReason.LOGOUT);
            }
        }
    }

    @Test
    void theConfirmationTheCardSignsIsTheProtocolsJson() throws Exception {
        CardSession s = confirmed(rsaCard);
        TransactionChallenge c = tx.challenge(s.id(), TEXT);
        TransactionConfirmation back = TransactionConfirmation.fromJson(answer(rsaCard, c));
        assertEquals(Algorithm.PS256, back.algorithm());
        assertEquals(c.nonce(), back.nonce());
        assertEquals(List.of("format", "sessionTag", "text", "nonce", "certificate", "algorithm", "signature"),
                iterable(answer(rsaCard, c)));
        assertEquals(List.of("format", "origin", "sessionTag", "text", "nonce", "issuedAt", "expiresAt", "signatureAlgorithm", "signature"),
                iterable(c.toJson()));
    }

    static List<String> iterable(ObjectNode j) {
        List<String> names = new ArrayList<>();
        j.fieldNames().forEachRemaining(names::add);
        return names;
    }
}

package org.cardbound.core.session;

import static org.cardbound.core.session.Outcome.outcome;
import static org.cardbound.core.session.Outcome.race;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cardbound.core.Algorithm;
import org.cardbound.core.Base64Text;
import org.cardbound.core.PresenceChallenge;
import org.cardbound.core.Receipt;
import org.cardbound.core.ServerChallenge;
import org.cardbound.core.TestPki;
import org.cardbound.core.TestPki.Issued;
import org.cardbound.core.validation.TokenValidator;
import org.cardbound.core.validation.TrustAnchors;
import org.cardbound.core.validation.ValidationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

// The relying party's flows of docs/protocol.md §6, each both ways, with the
// codes of the C++ server (server/tests/relying_party_test.cpp), the races
// its stores must win, and expiry by an injected clock. The PKI is made with
// openssl at test time; certificates start now, the clock a while later.
class RelyingPartyTest {
    static final String ORIGIN = "https://rp.example";
    static final String HOST_NONCE = "EzcpTQUUWaUEfv2lmz0YI5Ai1nE5HVCfcN9fJXhErKI=";
    static final int LIFETIME = 120, INTERVAL = 30, GRACE = 10;

    static TestPki pki;
    static Issued root;
    static Issued siteCert;
    static TestCard card;

    TestClock clock;
    RelyingParty rp;
    final List<String> ended = new CopyOnWriteArrayList<>(); // "tag reason"

    @BeforeAll
    static void makePki() throws Exception {
        pki = new TestPki();
        Path rootKey = pki.key("root", "ec:P-256");
        root = pki.root("root", "/O=Cards/CN=Test Root", rootKey, 3650, TestPki.CA_EXTENSIONS.replace("\nauthorityKeyIdentifier=keyid", ""));
        Path cardKey = pki.key("card", "ec:P-256");
        Issued cardCert = pki.issue("card", "/C=EE/O=Cards/CN=Card Holder", cardKey, root, TestPki.CARD_EXTENSIONS);
        card = new TestCard(cardCert, TestPki.privateKey(cardKey), Algorithm.ES256);
        Path siteKey = pki.key("site", "ec:P-256");
        siteCert = pki.root("site", "/CN=rp.example", siteKey, 365, "basicConstraints=CA:FALSE\nsubjectAltName=DNS:rp.example");
    }

    @AfterAll
    static void removePki() {
        pki.close();
    }

    @BeforeEach
    void makeRelyingParty() throws Exception {
        clock = new TestClock(Instant.now().plus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.SECONDS));
        rp = relyingParty(INTERVAL);
    }

    RelyingParty relyingParty(int interval) throws Exception {
        TokenValidator validator = new TokenValidator(TrustAnchors.fromFiles(List.of(root.cert())), List.of(), clock);
        SiteIdentity site = new SiteIdentity(TestPki.privateKey(siteCert.key()), Algorithm.ES256,
                List.of(siteCert.certificate().getEncoded()));
        MemorySessionStore sessions = new MemorySessionStore();
        sessions.addListener((s, reason) -> ended.add(s.tag() + " " + reason.wireName()));
        return new RelyingParty(new RelyingPartyConfig(ORIGIN, LIFETIME, interval, GRACE), site, validator,
                new MemoryNonceStore(clock), sessions, clock);
    }

    Login login() throws ValidationException {
        ServerChallenge c = rp.challenge(HOST_NONCE);
        return rp.login(c.serverNonce(), card.token(ORIGIN, c.serverNonce()), null);
    }

    ObjectNode proofFor(CardSession s, String nonce) {
        return card.proof(ORIGIN, s.tag(), nonce);
    }

    // A confirmed session.
    CardSession confirmed() throws ValidationException {
        Login l = login();
        rp.confirm(l.session().id(), proofFor(l.session(), l.receipt().presenceNonce()));
        return l.session();
    }

    @Test
    void challengeIsSignedForTheHostNonce() throws Exception {
        ServerChallenge c = rp.challenge(HOST_NONCE);
        assertTrue(ServerChallenge.fromJson(c.toJson()).verify(siteCert.certificate().getPublicKey()));
        assertEquals(HOST_NONCE, c.hostNonce());
        assertEquals(ORIGIN, c.origin());
        assertEquals(32, Base64Text.decode(c.serverNonce()).orElseThrow().length);
        assertEquals(Instant.parse(c.issuedAt()).plusSeconds(LIFETIME), Instant.parse(c.expiresAt()));
        assertEquals("TOKEN_MALFORMED", outcome(() -> rp.challenge("short")));
        assertEquals("TOKEN_MALFORMED", outcome(() -> rp.challenge(null)));
    }

    @Test
    void loginConfirmPresenceAndSession() throws Exception {
        ServerChallenge c = rp.challenge(HOST_NONCE);
        ObjectNode token = card.token(ORIGIN, c.serverNonce());
        Login l = rp.login(c.serverNonce(), token, null);
        Receipt r = Receipt.fromJson(l.receipt().toJson());
        assertTrue(r.verify(siteCert.certificate().getPublicKey()));
        assertEquals(c.serverNonce(), r.serverNonce());
        assertEquals(Receipt.tokenHashOf(Base64Text.decode(token.get("signature").textValue()).orElseThrow()), r.tokenHash());
        assertEquals(l.session().tag(), r.sessionTag());
        assertEquals(INTERVAL, r.presenceInterval());
        assertEquals(32, Base64Text.decodeUrl(l.session().id()).orElseThrow().length);
        assertFalse(l.session().id().equals(l.session().tag()));
        String id = l.session().id();
        assertEquals("NOT_CONFIRMED", outcome(() -> rp.session(id)));
        assertEquals("NOT_CONFIRMED", outcome(() -> rp.presenceChallenge(id)));

        assertEquals("Card Holder", rp.confirm(id, proofFor(l.session(), r.presenceNonce())).holder());
        SessionInfo info = rp.session(id);
        assertEquals(l.session().tag(), info.sessionTag());
        assertEquals(INTERVAL, info.presenceInterval());
        assertEquals(INTERVAL + GRACE, info.expiresIn());

        clock.advance(Duration.ofSeconds(25));
        PresenceChallenge p = rp.presenceChallenge(id);
        assertTrue(PresenceChallenge.fromJson(p.toJson()).verify(siteCert.certificate().getPublicKey()));
        assertEquals(l.session().tag(), p.sessionTag());
        assertEquals("ok", outcome(() -> rp.presence(id, proofFor(l.session(), p.nonce()))));
        assertEquals(INTERVAL + GRACE, rp.session(id).expiresIn());
        assertTrue(ended.isEmpty());
    }

    @Test
    void loginRefusalsCarryTheValidatorsAndTheNoncesCodes() throws Exception {
        assertEquals("NONCE_UNKNOWN", outcome(() -> rp.login(HOST_NONCE, card.token(ORIGIN, HOST_NONCE), null)));
        ServerChallenge c = rp.challenge(HOST_NONCE);
        String n = c.serverNonce();
        // A malformed token is refused before the nonce is used up (the C++ order).
        assertEquals("TOKEN_MALFORMED", outcome(() -> rp.login(n, card.token(ORIGIN, n).put("signature", "%%"), null)));
        // Signed for another site: the nonce is used up by this try.
        assertEquals("SIGNATURE_INVALID", outcome(() -> rp.login(n, card.token("https://evil.example", n), null)));
        assertEquals("NONCE_REUSED", outcome(() -> rp.login(n, card.token(ORIGIN, n), null)));
        ServerChallenge late = rp.challenge(HOST_NONCE);
        clock.advance(Duration.ofSeconds(LIFETIME));
        assertEquals("NONCE_EXPIRED", outcome(() -> rp.login(late.serverNonce(), card.token(ORIGIN, late.serverNonce()), null)));
        assertEquals(0, rp.sessions().size());
    }

    @Test
    void aLongPresenceIntervalNeverMakesAChallengeLiveLongerThanAHostAccepts() throws Exception {
        rp = relyingParty(1000); // deadline 1010 s after each proof; hosts take at most 300 s
        CardSession s = confirmed();
        PresenceChallenge p = rp.presenceChallenge(s.id());
        assertEquals(300, Instant.parse(p.expiresAt()).getEpochSecond() - Instant.parse(p.issuedAt()).getEpochSecond());
        clock.advance(Duration.ofSeconds(900));
        PresenceChallenge late = rp.presenceChallenge(s.id());
        assertEquals(110, Instant.parse(late.expiresAt()).getEpochSecond() - Instant.parse(late.issuedAt()).getEpochSecond());
    }

    @Test
    void aLoginSignatureIsNoPresenceProof() throws Exception {
        Login l = login();
        String nonce = l.receipt().presenceNonce();
        byte[] loginSignature = Base64Text.decode(card.token(ORIGIN, nonce).get("signature").textValue()).orElseThrow();
        JsonNode forged = new org.cardbound.core.PresenceProof(l.session().tag(), nonce, Algorithm.ES256, loginSignature).toJson();
        assertEquals("SIGNATURE_INVALID", outcome(() -> rp.confirm(l.session().id(), forged)));
    }

    @Test
    void aRelyingPartyIsMadeForACanonicalHttpsOriginOnly() {
        assertEquals("https://login.example", RelyingPartyConfig.of("https://login.example").origin());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RelyingPartyConfig.of("http://login.example"))
                .getMessage().contains("is not an https origin"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RelyingPartyConfig.of("https://login.example/"))
                .getMessage().contains("is not a canonical origin"));
        assertThrows(IllegalArgumentException.class, () -> new RelyingPartyConfig(ORIGIN, 301, 30, 10));
        assertThrows(IllegalArgumentException.class, () -> new RelyingPartyConfig(ORIGIN, 120, 0, 10));
    }

    @Test
    void confirmRefusalsLeaveTheSessionUnconfirmed() throws Exception {
        Login l = login();
        CardSession s = l.session();
        String id = s.id();
        String nonce = l.receipt().presenceNonce();
        assertEquals("NONCE_UNKNOWN", outcome(() -> rp.confirm(id, proofFor(s, HOST_NONCE))));
        assertEquals("SESSION_UNKNOWN", outcome(() -> rp.confirm(id, card.proof(ORIGIN, "AAAAAAAAAAAAAAAAAAAAAA", nonce))));
        assertEquals("SIGNATURE_INVALID", outcome(() -> rp.confirm(id, card.proof("https://evil.example", s.tag(), nonce))));
        assertEquals("TOKEN_MALFORMED", outcome(() -> rp.confirm(id, proofFor(s, nonce).put("format", "x"))));
        assertEquals("TOKEN_MALFORMED", outcome(() -> rp.confirm(id, null)));
        assertEquals("SESSION_UNKNOWN", outcome(() -> rp.confirm("no-such-session", proofFor(s, nonce))));
        assertEquals("NOT_CONFIRMED", outcome(() -> rp.session(id)));
        assertEquals("ok", outcome(() -> rp.confirm(id, proofFor(s, nonce))));
        assertEquals("ok", outcome(() -> rp.session(id)));
    }

    @Test
    void aReplayedPresenceProofIsRefusedAndEndsTheSession() throws Exception {
        CardSession s = confirmed();
        PresenceChallenge p = rp.presenceChallenge(s.id());
        JsonNode proof = proofFor(s, p.nonce());
        assertEquals("ok", outcome(() -> rp.presence(s.id(), proof)));
        assertEquals("NONCE_REUSED", outcome(() -> rp.presence(s.id(), proof)));
        assertEquals(List.of(s.tag() + " presence-refused"), ended);
        assertEquals("SESSION_UNKNOWN", outcome(() -> rp.session(s.id())));
    }

    @Test
    void anInvalidPresenceProofIsRefusedAndEndsTheSession() throws Exception {
        CardSession s = confirmed();
        PresenceChallenge p = rp.presenceChallenge(s.id());
        assertEquals("SIGNATURE_INVALID", outcome(() -> rp.presence(s.id(), card.proof("https://evil.example", s.tag(), p.nonce()))));
        assertEquals(List.of(s.tag() + " presence-refused"), ended);
        assertEquals("SESSION_UNKNOWN", outcome(() -> rp.presence(s.id(), proofFor(s, p.nonce()))));
    }

    @Test
    void anOldPresenceChallengeCannotBeAnsweredAfterANewOne() throws Exception {
        CardSession s = confirmed();
        PresenceChallenge first = rp.presenceChallenge(s.id());
        PresenceChallenge second = rp.presenceChallenge(s.id());
        assertEquals("NONCE_UNKNOWN", outcome(() -> rp.presence(s.id(), proofFor(s, first.nonce()))));
        assertEquals("SESSION_UNKNOWN", outcome(() -> rp.presence(s.id(), proofFor(s, second.nonce()))));
    }

    @Test
    void aLateProofEndsTheSessionAsPresenceLate() throws Exception {
        CardSession s = confirmed();
        PresenceChallenge p = rp.presenceChallenge(s.id());
        clock.advance(Duration.ofSeconds(INTERVAL + GRACE));
        assertEquals("ok", outcome(() -> rp.session(s.id()))); // at the deadline: still on time
        clock.advance(Duration.ofSeconds(1));
        assertEquals("PRESENCE_LATE", outcome(() -> rp.presence(s.id(), proofFor(s, p.nonce()))));
        assertEquals(List.of(s.tag() + " presence-late"), ended);
        assertEquals("SESSION_UNKNOWN", outcome(() -> rp.session(s.id())));
        assertEquals(List.of(s.tag() + " presence-late"), ended); // told once
    }

    @Test
    void sessionsExpireByTheInjectedClock() throws Exception {
        Login unconfirmed = login();
        clock.advance(Duration.ofSeconds(LIFETIME + 1));
        String nonce = unconfirmed.receipt().presenceNonce();
        assertEquals("PRESENCE_LATE", outcome(() -> rp.confirm(unconfirmed.session().id(), proofFor(unconfirmed.session(), nonce))));

        CardSession a = confirmed();
        CardSession b = confirmed();
        clock.advance(Duration.ofSeconds(20));
        rp.presence(b.id(), proofFor(b, rp.presenceChallenge(b.id()).nonce()));
        clock.advance(Duration.ofSeconds(INTERVAL + GRACE - 19));
        assertEquals(1, rp.expire()); // a is late, b renewed its deadline
        assertTrue(ended.contains(a.tag() + " presence-late"));
        assertEquals("SESSION_UNKNOWN", outcome(() -> rp.session(a.id())));
        assertEquals("ok", outcome(() -> rp.session(b.id())));
    }

    @Test
    void aBrowserWithALiveConfirmedSessionCannotLogInAgain() throws Exception {
        CardSession first = confirmed();
        ServerChallenge c = rp.challenge(HOST_NONCE);
        assertEquals("SESSION_EXISTS", outcome(() -> rp.login(c.serverNonce(), card.token(ORIGIN, c.serverNonce()), first.id())));
        assertEquals("ok", outcome(() -> rp.session(first.id()))); // the first lives on
        // Its nonce was not used: another browser may use it.
        assertEquals("ok", outcome(() -> rp.login(c.serverNonce(), card.token(ORIGIN, c.serverNonce()), null)));
    }

    @Test
    void anUnconfirmedOrLateSessionIsReplaced() throws Exception {
        Login abandoned = login();
        ServerChallenge c = rp.challenge(HOST_NONCE);
        Login again = rp.login(c.serverNonce(), card.token(ORIGIN, c.serverNonce()), abandoned.session().id());
        assertTrue(rp.sessions().get(abandoned.session().id()).isEmpty());
        assertTrue(ended.isEmpty()); // replaced silently: the browser's tabs go on with the new one
        assertEquals("ok", outcome(() -> rp.confirm(again.session().id(), proofFor(again.session(), again.receipt().presenceNonce()))));

        clock.advance(Duration.ofSeconds(INTERVAL + GRACE + 1));
        ServerChallenge c2 = rp.challenge(HOST_NONCE);
        assertEquals("ok", outcome(() -> rp.login(c2.serverNonce(), card.token(ORIGIN, c2.serverNonce()), again.session().id())));
        assertEquals(List.of(again.session().tag() + " presence-late"), ended);
    }

    @Test
    void logoutEndsTheSessionOnceWithItsReason() throws Exception {
        CardSession a = confirmed();
        CardSession b = confirmed();
        assertTrue(rp.logout(a.id(), EndReason.LOGOUT));
        assertFalse(rp.logout(a.id(), EndReason.LOGOUT));
        assertTrue(rp.logout(b.id(), EndReason.CARD_REMOVED));
        assertEquals(List.of(a.tag() + " logout", b.tag() + " card-removed"), ended);
        assertEquals("SESSION_UNKNOWN", outcome(() -> rp.session(a.id())));
        CardSession c = confirmed();
        assertThrows(IllegalArgumentException.class, () -> rp.logout(c.id(), EndReason.PRESENCE_LATE));
        assertEquals("ok", outcome(() -> rp.session(c.id()))); // nothing ended
    }

    @Test
    void oneProofSentOnSixteenThreadsIsAcceptedOnce() throws Exception {
        for (int round = 0; round < 5; round++) {
            ended.clear();
            CardSession s = confirmed();
            JsonNode proof = proofFor(s, rp.presenceChallenge(s.id()).nonce());
            List<String> outcomes = race(16, () -> rp.presence(s.id(), proof));
            assertEquals(1, outcomes.stream().filter("ok"::equals).count(), outcomes.toString());
            assertTrue(Set.of("ok", "NONCE_REUSED", "SESSION_UNKNOWN").containsAll(outcomes), outcomes.toString());
            // The replays end the session, told once.
            assertEquals(List.of(s.tag() + " presence-refused"), ended);
        }
    }

    @Test
    void logoutRacingAPresenceProofIsNeverUndone() throws Exception {
        for (int round = 0; round < 20; round++) {
            ended.clear();
            CardSession s = confirmed();
            JsonNode proof = proofFor(s, rp.presenceChallenge(s.id()).nonce());
            List<String> outcomes = race(2, () -> rp.presence(s.id(), proof), () -> rp.logout(s.id(), EndReason.LOGOUT));
            assertTrue(Set.of("ok", "SESSION_UNKNOWN").contains(outcomes.get(0)), outcomes.toString());
            assertEquals("SESSION_UNKNOWN", outcome(() -> rp.session(s.id())));
            assertEquals(List.of(s.tag() + " logout"), ended);
        }
    }

    @Test
    void sessionsOfAFullStoreAreRefusedClosed() {
        MemorySessionStore small = new MemorySessionStore(1);
        Set<String> told = ConcurrentHashMap.newKeySet();
        small.addListener((s, reason) -> told.add(reason.wireName()));
        Instant now = clock.instant();
        CardSession one = new CardSession("id1", "tag1", ORIGIN, null, null, Algorithm.ES256, true, "n", "", now.plusSeconds(5));
        small.put(one, now);
        CardSession two = new CardSession("id2", "tag2", ORIGIN, null, null, Algorithm.ES256, true, "n", "", now.plusSeconds(5));
        assertThrows(IllegalStateException.class, () -> small.put(two, now));
        small.put(two, now.plusSeconds(6)); // the late one makes room
        assertEquals(Set.of("presence-late"), told);
        assertEquals(1, small.size());
    }
}

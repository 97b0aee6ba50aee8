package org.cardbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import org.cardbound.core.Algorithm;
import org.cardbound.core.Base64Text;
import org.cardbound.core.Digests;
import org.cardbound.core.MessageSignatures;
import org.cardbound.core.Nonces;
import org.cardbound.core.PresenceChallenge;
import org.cardbound.core.PresenceProof;
import org.cardbound.core.ProtocolException;
import org.cardbound.core.Receipt;
import org.cardbound.core.Registry;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.ServerChallenge;
import org.cardbound.core.Times;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.Identity;
import org.cardbound.core.validation.TokenValidator;
import org.cardbound.core.validation.ValidationException;
import org.cardbound.core.validation.checks.TokenFormCheck;

// The relying party's side of docs/protocol.md §6 without HTTP, the same
// steps, codes and rules as the C++ server (server/src/session/relying_party.cpp
// and the login, presence and logout rules of server/src/http/router.cpp):
//   challenge()          step 1: a signed challenge carrying the host's nonce
//   login()              step 2: validate the token, make an unconfirmed session, sign the receipt
//   confirm()            step 3: the first presence proof; full access from now on
//   presenceChallenge() / presence(): keep the session alive
//   session()            the session for a request, if confirmed and not late
//   logout()             the user's or the extension's (card-removed)
// Each call reads the injected clock once, in whole seconds as the protocol's
// times are. A refusal is a ValidationException with the registry's code.
public final class RelyingParty {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final RelyingPartyConfig config;
    private final SiteIdentity site;
    private final TokenValidator validator;
    private final NonceStore nonces;
    private final SessionStore sessions;
    private final Clock clock;

    public RelyingParty(RelyingPartyConfig config, SiteIdentity site, TokenValidator validator, NonceStore nonces,
            SessionStore sessions, Clock clock) {
        this.config = Objects.requireNonNull(config);
        this.site = Objects.requireNonNull(site);
        this.validator = Objects.requireNonNull(validator);
        this.nonces = Objects.requireNonNull(nonces);
        this.sessions = Objects.requireNonNull(sessions);
        this.clock = Objects.requireNonNull(clock);
    }

    public RelyingPartyConfig config() {
        return config;
    }

    public SessionStore sessions() {
        return sessions;
    }

    // The relying party's time, for the other messages of a session (Transactions).
    Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    // The key the site signs its messages with, for the other messages of a
    // session (Transactions).
    SiteIdentity site() {
        return site;
    }

    private static ValidationException refuse(ValidationCode code, String why) {
        return new ValidationException(code, why);
    }

    private static String randomUrl(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64Text.encodeUrl(b);
    }

    // Step 1. The host's nonce must be base64 of 32 to 64 bytes (TOKEN_MALFORMED).
    public ServerChallenge challenge(String hostNonce) throws ValidationException {
        if (hostNonce == null || !Nonces.isValid(hostNonce))
            throw refuse(ValidationCode.TOKEN_MALFORMED, "the host nonce must be base64 of 32 to 64 bytes");
        Instant now = now();
        Instant expires = now.plusSeconds(config.challengeLifetime());
        ServerChallenge c = new ServerChallenge(config.origin(), Nonces.fresh(), hostNonce, Times.format(now), Times.format(expires),
                site.chain(), site.algorithm(), new byte[0]).signedWith(site.key(), site.algorithm());
        nonces.issue(c.serverNonce(), expires);
        return c;
    }

    // Step 2. existingSessionId: the session the request's cookie names, or
    // null. One session per site and browser: a live, confirmed one refuses
    // the login (SESSION_EXISTS: join it instead); an unconfirmed one (an
    // abandoned login) is replaced; a late one ends as late.
    public Login login(String serverNonce, JsonNode token, String existingSessionId) throws ValidationException {
        Instant now = now();
        if (existingSessionId != null) {
            var existing = sessions.get(existingSessionId);
            if (existing.isPresent()) {
                CardSession s = existing.get();
                if (s.isLate(now)) sessions.end(s.id(), EndReason.PRESENCE_LATE);
                else if (s.confirmed()) throw refuse(ValidationCode.SESSION_EXISTS, "this browser has a live session");
                // Silently: the same browser logs in again, its tabs must not hear "ended".
                else sessions.discard(s.id());
            }
        }
        // The token's form first (TOKEN_MALFORMED), then the nonce is used up
        // before anything slow, then the full policy: the C++ order.
        new TokenFormCheck().run(new Candidate(token, config.origin(), serverNonce, now));
        nonces.take(serverNonce, now);
        Identity identity = validator.validate(token, config.origin(), serverNonce, now);
        X509Certificate certificate = cardCertificate(token);
        Algorithm algorithm = Algorithm.of(token.get("algorithm").textValue())
                .orElseThrow(() -> refuse(ValidationCode.ALGORITHM_UNSUPPORTED, "the token's algorithm"));
        byte[] tokenSignature = Base64Text.decode(token.get("signature").textValue())
                .orElseThrow(() -> refuse(ValidationCode.TOKEN_MALFORMED, "the token's signature"));

        // Unconfirmed: it must be confirmed within a challenge lifetime.
        CardSession s = new CardSession(randomUrl(32), randomUrl(16), config.origin(), identity, certificate, algorithm, false,
                Nonces.fresh(), "", now.plusSeconds(config.challengeLifetime()));
        Receipt r = new Receipt(config.origin(), serverNonce, Receipt.tokenHashOf(tokenSignature), s.tag(), s.pendingNonce(),
                config.presenceInterval(), Times.format(now), Times.format(now.plusSeconds(config.challengeLifetime())),
                site.algorithm(), new byte[0]).signedWith(site.key(), site.algorithm());
        sessions.put(s, now);
        return new Login(s, r);
    }

    // The validator read it already; read again here to keep it with the session.
    private static X509Certificate cardCertificate(JsonNode token) throws ValidationException {
        byte[] der = Base64Text.decode(token.get("unverifiedCertificate").textValue())
                .orElseThrow(() -> refuse(ValidationCode.TOKEN_MALFORMED, "the token's certificate"));
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw refuse(ValidationCode.TOKEN_MALFORMED, "the token's certificate: " + e.getMessage());
        }
    }

    // Step 3: the receipt's presence nonce answered. A refused confirm leaves
    // the session as it was (the C++ router's rule); a late one ends it.
    public Identity confirm(String sessionId, JsonNode proof) throws ValidationException {
        Instant now = now();
        return answer(sessionId, proof, now, false).identity();
    }

    // A new presence nonce for a confirmed session; the previous one can no
    // longer be answered.
    public PresenceChallenge presenceChallenge(String sessionId) throws ValidationException {
        Instant now = now();
        String nonce = Nonces.fresh();
        CardSession s = change(sessionId, now, current -> {
            if (!current.confirmed()) throw refuse(ValidationCode.NOT_CONFIRMED, "the session is not confirmed");
            return current.withPendingNonce(nonce);
        });
        // Due by the deadline, good until then, but never longer than a host
        // accepts: a long interval means a later challenge, not a longer-lived one.
        long expires = Math.min(Math.max(s.deadline().getEpochSecond(), now.getEpochSecond() + 1),
                now.getEpochSecond() + Registry.MAX_CHALLENGE_LIFETIME_SECONDS);
        return new PresenceChallenge(s.origin(), s.tag(), nonce, Times.format(now), Times.format(Instant.ofEpochSecond(expires)),
                site.algorithm(), new byte[0]).signedWith(site.key(), site.algorithm());
    }

    // A presence proof. Presence must be proven, not tried: any refusal ends
    // the session (presence-refused; presence-late when late).
    public void presence(String sessionId, JsonNode proof) throws ValidationException {
        Instant now = now();
        try {
            answer(sessionId, proof, now, true);
        } catch (ValidationException e) {
            if (e.code() != ValidationCode.PRESENCE_LATE) sessions.end(sessionId, EndReason.PRESENCE_REFUSED);
            throw e;
        }
    }

    // Ends the session for the user (logout) or the extension (card-removed);
    // any other reason is the caller's BAD_REQUEST, and nothing ends.
    public boolean logout(String sessionId, EndReason reason) {
        if (!reason.isClientLogout()) throw new IllegalArgumentException("a logout's reason is logout or card-removed");
        return sessions.end(sessionId, reason);
    }

    // The live, confirmed session: SESSION_UNKNOWN, NOT_CONFIRMED, or PRESENCE_LATE (and it ends).
    public SessionInfo session(String sessionId) throws ValidationException {
        Instant now = now();
        CardSession s = live(sessionId, now);
        if (!s.confirmed()) throw refuse(ValidationCode.NOT_CONFIRMED, "the session is not confirmed");
        return new SessionInfo(s.identity(), s.tag(), config.presenceInterval(), s.deadline().getEpochSecond() - now.getEpochSecond());
    }

    // The live, confirmed session itself (with the card's certificate, for a
    // container's Realm); the same refusals as session().
    public CardSession confirmedSession(String sessionId) throws ValidationException {
        return confirmedSession(sessionId, now());
    }

    CardSession confirmedSession(String sessionId, Instant now) throws ValidationException {
        CardSession s = live(sessionId, now);
        if (!s.confirmed()) throw refuse(ValidationCode.NOT_CONFIRMED, "the session is not confirmed");
        return s;
    }

    // Whether the session lives, confirmed or not (an event stream may wait
    // on an unconfirmed one); a late one ends as late.
    public boolean exists(String sessionId) {
        try {
            live(sessionId, now());
            return true;
        } catch (ValidationException e) {
            return false;
        }
    }

    // Ends the sessions that missed their deadline (presence-late); for a periodic sweep.
    public int expire() {
        return sessions.expire(now()).size();
    }

    private CardSession live(String sessionId, Instant now) throws ValidationException {
        CardSession s = sessions.get(sessionId).orElseThrow(() -> refuse(ValidationCode.SESSION_UNKNOWN, "no such session"));
        if (s.isLate(now)) throw late(sessionId);
        return s;
    }

    private ValidationException late(String sessionId) {
        sessions.end(sessionId, EndReason.PRESENCE_LATE);
        return refuse(ValidationCode.PRESENCE_LATE, "the session missed its presence deadline");
    }

    // An atomic change of a live session; a late one ends as late.
    private CardSession change(String sessionId, Instant now, SessionStore.Change change) throws ValidationException {
        try {
            return sessions.update(sessionId, current -> {
                if (current.isLate(now)) throw refuse(ValidationCode.PRESENCE_LATE, "the session missed its presence deadline");
                return change.apply(current);
            });
        } catch (ValidationException e) {
            if (e.code() == ValidationCode.PRESENCE_LATE) throw late(sessionId);
            throw e;
        }
    }

    // Checks a proof of the session's pending nonce and records it answered.
    // The signature is checked on a snapshot, outside the store's lock (it is
    // slow); the nonce is then answered atomically, only if it is still the
    // pending, unanswered one, so of two equal proofs exactly one counts.
    private CardSession answer(String sessionId, JsonNode proofJson, Instant now, boolean mustBeConfirmed)
            throws ValidationException {
        CardSession snapshot = live(sessionId, now);
        if (mustBeConfirmed && !snapshot.confirmed()) throw refuse(ValidationCode.NOT_CONFIRMED, "the session is not confirmed");
        PresenceProof proof;
        try {
            proof = PresenceProof.fromJson(proofJson);
        } catch (ProtocolException e) {
            throw refuse(ValidationCode.TOKEN_MALFORMED, e.getMessage());
        }
        checkNonce(snapshot, proof);
        if (proof.algorithm() != snapshot.algorithm())
            throw refuse(ValidationCode.ALGORITHM_UNSUPPORTED, "the card signs with another algorithm");
        byte[] input = Digests.presenceSigningInput(proof.algorithm(), snapshot.origin(), snapshot.tag(), proof.nonce());
        if (!MessageSignatures.verify(snapshot.certificate().getPublicKey(), proof.algorithm(), input, proof.signature()))
            throw refuse(ValidationCode.SIGNATURE_INVALID, "the presence proof does not verify");
        Instant deadline = now.plusSeconds((long) config.presenceInterval() + config.presenceGrace());
        return change(sessionId, now, current -> {
            if (mustBeConfirmed && !current.confirmed()) throw refuse(ValidationCode.NOT_CONFIRMED, "the session is not confirmed");
            checkNonce(current, proof);
            return current.answered(deadline);
        });
    }

    // The C++ check_proof's order: another session's tag, a replay, an unknown nonce.
    private static void checkNonce(CardSession s, PresenceProof proof) throws ValidationException {
        if (!proof.sessionTag().equals(s.tag())) throw refuse(ValidationCode.SESSION_UNKNOWN, "the proof is for another session");
        if (proof.nonce().equals(s.answeredNonce()))
            throw refuse(ValidationCode.NONCE_REUSED, "that presence challenge was answered already");
        if (!proof.nonce().equals(s.pendingNonce())) throw refuse(ValidationCode.NONCE_UNKNOWN, "no such presence challenge");
    }
}

package org.cardbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.MessageDigest;
import java.security.cert.CertificateEncodingException;
import java.time.Instant;
import java.util.Objects;
import org.cardbound.core.Digests;
import org.cardbound.core.MessageSignatures;
import org.cardbound.core.Nonces;
import org.cardbound.core.ProtocolException;
import org.cardbound.core.Registry;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.Times;
import org.cardbound.core.TransactionChallenge;
import org.cardbound.core.TransactionConfirmation;
import org.cardbound.core.TransactionText;
import org.cardbound.core.validation.ValidationException;

// Transaction confirmation (docs/protocol.md §4.4, §4.5, §6), the C++
// server/src/session/transactions.cpp: the server asks the card of a live,
// confirmed session to confirm a short text ("pay 1,200 EUR to ACME"), which
// the host shows verbatim in its trusted window; the card signs the origin,
// the session, the text and the nonce (Digests.transactionSigningInput), and
// the server checks that signature against the card the session logged in
// with and the text it issued itself, never the text the page sends back.
//
//   challenge()  a TransactionChallenge signed by the site's key; the
//                question (nonce, text, expiry) is remembered in the
//                TransactionStore under the session
//   confirm()    the card's TransactionConfirmation, checked in this order,
//                each refusal with its own code:
//                  the session: SESSION_UNKNOWN, NOT_CONFIRMED, PRESENCE_LATE
//                  a malformed confirmation: TOKEN_MALFORMED (as a presence
//                    proof); it uses nothing up
//                  the question is taken out of the store (single use: any
//                    refusal after this point uses it up too, so a page
//                    cannot try variants of one answer): none for this
//                    session by that nonce, or expired: TRANSACTION_UNKNOWN
//                  another session's tag: TRANSACTION_UNKNOWN
//                  another text than the one issued: TRANSACTION_TEXT_CHANGED
//                  another certificate than the session's: TRANSACTION_WRONG_CARD
//                  another algorithm than the session's, or a signature
//                    that does not verify with the session's key over the
//                    issued text: TRANSACTION_SIGNATURE_INVALID
// The session goes on whatever the answer.
public final class Transactions {
    private final RelyingParty rp;
    private final TransactionStore store;
    private final int lifetime;

    // The questions live the relying party's challenge lifetime.
    public Transactions(RelyingParty rp, TransactionStore store) {
        this(rp, store, rp.config().challengeLifetime());
    }

    // `lifetime`: seconds a question may be answered, 1 to the registry's
    // maximum (a host refuses a longer-lived challenge).
    public Transactions(RelyingParty rp, TransactionStore store, int lifetime) {
        this.rp = Objects.requireNonNull(rp);
        this.store = Objects.requireNonNull(store);
        if (lifetime < 1 || lifetime > Registry.MAX_CHALLENGE_LIFETIME_SECONDS)
            throw new IllegalArgumentException(
                    "the transaction lifetime must be 1 to " + Registry.MAX_CHALLENGE_LIFETIME_SECONDS + " seconds");
        this.lifetime = lifetime;
    }

    public int lifetime() {
        return lifetime;
    }

    private static ValidationException refuse(ValidationCode code, String why) {
        return new ValidationException(code, why);
    }

    // The session's codes, or TRANSACTION_TEXT_INVALID for a text the trusted
    // window would not show as it is (TransactionText).
    public TransactionChallenge challenge(String sessionId, String text) throws ValidationException {
        Instant now = rp.now();
        CardSession s = rp.confirmedSession(sessionId, now);
        if (!TransactionText.isValid(text))
            throw refuse(ValidationCode.TRANSACTION_TEXT_INVALID, "the text must be 1 to " + Registry.MAX_TRANSACTION_TEXT_BYTES
                    + " bytes of UTF-8, one line of printable characters");
        Instant expires = now.plusSeconds(lifetime);
        SiteIdentity site = rp.site();
        TransactionChallenge c = new TransactionChallenge(s.origin(), s.tag(), text, Nonces.fresh(), Times.format(now),
                Times.format(expires), site.algorithm(), new byte[0]).signedWith(site.key(), site.algorithm());
        store.issue(s.tag(), c.nonce(), new PendingTransaction(text, expires), now);
        return c;
    }

    // Checks a confirmation in the order above; a refusal is a ValidationException.
    public ConfirmedTransaction confirm(String sessionId, JsonNode confirmationJson) throws ValidationException {
        Instant now = rp.now();
        CardSession s = rp.confirmedSession(sessionId, now);
        TransactionConfirmation c;
        try {
            c = TransactionConfirmation.fromJson(confirmationJson);
        } catch (ProtocolException e) {
            throw refuse(ValidationCode.TOKEN_MALFORMED, e.getMessage());
        }
        // Taken before anything else is compared: whatever the answer, this
        // question has had its one try.
        PendingTransaction issued = store.take(s.tag(), c.nonce()).orElseThrow(() -> refuse(ValidationCode.TRANSACTION_UNKNOWN,
                "no transaction of this session has that nonce (never asked, answered or expired)"));
        if (now.isAfter(issued.expires())) throw refuse(ValidationCode.TRANSACTION_UNKNOWN, "the transaction's challenge expired");
        if (!c.sessionTag().equals(s.tag()))
            throw refuse(ValidationCode.TRANSACTION_UNKNOWN, "the confirmation names another session");
        if (!c.text().equals(issued.text()))
            throw refuse(ValidationCode.TRANSACTION_TEXT_CHANGED, "the confirmation names another text than the one issued");
        if (!sameCertificate(s, c.certificate()))
            throw refuse(ValidationCode.TRANSACTION_WRONG_CARD, "the confirmation's certificate is not the session's");
        // The session's algorithm, as for presence proofs: the card's key and
        // the way it signs were fixed at login. The issued text, not the sent one.
        byte[] input = Digests.transactionSigningInput(s.algorithm(), s.origin(), s.tag(), issued.text(), c.nonce());
        if (c.algorithm() != s.algorithm()
                || !MessageSignatures.verify(s.certificate().getPublicKey(), s.algorithm(), input, c.signature()))
            throw refuse(ValidationCode.TRANSACTION_SIGNATURE_INVALID,
                    "the signature does not cover this transaction with the session's card");
        return new ConfirmedTransaction(s, issued.text(), c.nonce());
    }

    // The same DER bytes as the certificate the session logged in with; a
    // certificate that cannot be encoded is no match (closed).
    private static boolean sameCertificate(CardSession s, byte[] der) {
        try {
            return MessageDigest.isEqual(s.certificate().getEncoded(), der);
        } catch (CertificateEncodingException e) {
            return false;
        }
    }
}

package org.cardbound.core.session;

import java.security.cert.X509Certificate;
import java.time.Instant;
import org.cardbound.core.Algorithm;
import org.cardbound.core.validation.Identity;

// One card session (docs/protocol.md §6), immutable: a change is a new value
// written back atomically by the SessionStore, so no reader ever sees half
// of one.
//   id            256 random bits, base64url: the secret cookie value
//   tag           the public name, in receipts and presence messages
//   certificate   the card's, whose key checks the presence proofs
//   algorithm     the card's, a proof in another one is refused
//   pendingNonce  the presence nonce to be answered next
//   answeredNonce the last one answered (its replay is NONCE_REUSED), or ""
//   deadline      the session ends when no proof came by then
public record CardSession(
        String id,
        String tag,
        String origin,
        Identity identity,
        X509Certificate certificate,
        Algorithm algorithm,
        boolean confirmed,
        String pendingNonce,
        String answeredNonce,
        Instant deadline) {

    public boolean isLate(Instant now) {
        return now.isAfter(deadline);
    }

    // The pending nonce answered: confirmed, with a new deadline.
    CardSession answered(Instant newDeadline) {
        return new CardSession(id, tag, origin, identity, certificate, algorithm, true, pendingNonce, pendingNonce, newDeadline);
    }

    CardSession withPendingNonce(String nonce) {
        return new CardSession(id, tag, origin, identity, certificate, algorithm, confirmed, nonce, answeredNonce, deadline);
    }

    // The secret id stays out of logs.
    @Override
    public String toString() {
        return "CardSession[tag=" + tag + ", holder=" + (identity == null ? "" : identity.holder()) + ", confirmed=" + confirmed + ", deadline=" + deadline + "]";
    }
}

package org.cardbound.core.session;

import java.time.Instant;
import org.cardbound.core.validation.ValidationException;

// Single-use server nonces with an expiry (docs/protocol.md §4.1, §6). An
// interface so that a deployment of several servers can share them; the
// default, MemoryNonceStore, keeps them in memory.
public interface NonceStore {
    // Remembers an issued nonce until `expires`.
    void issue(String nonce, Instant expires);

    // Uses a nonce up, atomically: of any number of concurrent takers exactly
    // one succeeds. Throws NONCE_UNKNOWN (never issued here, or long
    // forgotten), NONCE_REUSED, NONCE_EXPIRED, in that order of precedence
    // (as server/src/validation/nonce_store.cpp).
    void take(String nonce, Instant now) throws ValidationException;
}

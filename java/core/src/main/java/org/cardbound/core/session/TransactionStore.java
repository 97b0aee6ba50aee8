package org.cardbound.core.session;

import java.time.Instant;
import java.util.Optional;

// The transactions a server asked its sessions to confirm and not yet
// answered (docs/protocol.md §4.4, §4.5), as the C++ TransactionStore: by
// session and nonce. An interface so that several servers may share them;
// the default, MemoryTransactionStore, keeps them in memory. Sessions are
// named by their public tag (never the secret id, so a shared store holds
// no cookie); the caller takes the tag from the session the request's
// cookie names, never from the request.
public interface TransactionStore {
    // Remembers a question until `pending.expires()`; `now` lets the store
    // drop what expired before it.
    void issue(String sessionTag, String nonce, PendingTransaction pending, Instant now);

    // Takes the question out, atomically: of any number of concurrent
    // takers exactly one gets it. Empty when this session has none by this
    // nonce (never issued, taken already, pushed out, forgotten, or another
    // session's: that one stays where it is). An expired one still held is
    // returned (and gone): the caller decides expiry by its own clock.
    Optional<PendingTransaction> take(String sessionTag, String nonce);
}

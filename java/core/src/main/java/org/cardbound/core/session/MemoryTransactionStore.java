package org.cardbound.core.session;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

// The pending transactions in memory, thread-safe, bounded: at most
// maxPerSession questions a session (a new one pushes out that session's
// oldest) and maxTotal in all (a new one pushes out the oldest of any
// session). A question pushed out is answered TRANSACTION_UNKNOWN, refused
// as it must be. Entries are kept in the order they were issued, which with
// one lifetime is the order they expire in, so dropping the expired ones
// looks only at the oldest few.
public final class MemoryTransactionStore implements TransactionStore {
    public static final int DEFAULT_MAX_PER_SESSION = 16;
    public static final int DEFAULT_MAX_TOTAL = 100_000;
    // A nonce is base64 of at most 64 bytes; anything longer was never issued.
    private static final int MAX_NONCE_LENGTH = 100;

    private record Entry(String sessionTag, PendingTransaction pending) {}

    private final int maxPerSession;
    private final int maxTotal;
    private final LinkedHashMap<String, Entry> byNonce = new LinkedHashMap<>();
    private final Map<String, ArrayDeque<String>> bySession = new HashMap<>();
    private long dropped;

    public MemoryTransactionStore() {
        this(DEFAULT_MAX_PER_SESSION, DEFAULT_MAX_TOTAL);
    }

    public MemoryTransactionStore(int maxPerSession, int maxTotal) {
        if (maxPerSession < 1 || maxTotal < 1) throw new IllegalArgumentException("a transaction store needs room for 1 question or more");
        this.maxPerSession = maxPerSession;
        this.maxTotal = maxTotal;
    }

    @Override
    public synchronized void issue(String sessionTag, String nonce, PendingTransaction pending, Instant now) {
        // What expired goes first: it is no loss to anyone. Stops at the
        // first that has not (a clock set back waits its turn; the bounds
        // below hold meanwhile).
        for (Iterator<Map.Entry<String, Entry>> it = byNonce.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Entry> e = it.next();
            if (!e.getValue().pending().expires().isBefore(now)) break;
            it.remove();
            forgetInSession(e.getValue().sessionTag(), e.getKey());
        }
        remove(nonce); // a nonce is random; were it ever issued twice, the newer counts
        ArrayDeque<String> mine = bySession.get(sessionTag);
        if (mine != null && mine.size() >= maxPerSession) {
            remove(mine.peekFirst()); // this session's oldest
            dropped++;
        }
        while (byNonce.size() >= maxTotal) {
            remove(byNonce.keySet().iterator().next()); // the oldest of any session
            dropped++;
        }
        byNonce.put(nonce, new Entry(sessionTag, pending));
        bySession.computeIfAbsent(sessionTag, t -> new ArrayDeque<>()).addLast(nonce);
    }

    @Override
    public synchronized Optional<PendingTransaction> take(String sessionTag, String nonce) {
        if (sessionTag == null || nonce == null || nonce.length() > MAX_NONCE_LENGTH) return Optional.empty();
        Entry e = byNonce.get(nonce);
        // Another session's question stays where it is: it is not this one's to use up.
        if (e == null || !e.sessionTag().equals(sessionTag)) return Optional.empty();
        remove(nonce);
        return Optional.of(e.pending());
    }

    public synchronized int size() {
        return byNonce.size();
    }

    // Questions pushed out by the bounds before they were answered or expired.
    public synchronized long dropped() {
        return dropped;
    }

    private void remove(String nonce) {
        Entry e = byNonce.remove(nonce);
        if (e != null) forgetInSession(e.sessionTag(), nonce);
    }

    // Drops `nonce` from its session's queue: at most maxPerSession entries, a short walk.
    private void forgetInSession(String sessionTag, String nonce) {
        ArrayDeque<String> mine = bySession.get(sessionTag);
        if (mine == null) return;
        mine.remove(nonce);
        if (mine.isEmpty()) bySession.remove(sessionTag);
    }
}

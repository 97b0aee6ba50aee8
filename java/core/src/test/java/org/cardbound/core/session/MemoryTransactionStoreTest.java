package org.cardbound.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.cardbound.core.Nonces;
import org.junit.jupiter.api.Test;

// The pending transactions: taken once, only by their own session, bounded
// a session and in all, the expired dropped first.
class MemoryTransactionStoreTest {
    static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

    static PendingTransaction pending(String text, long expiresIn) {
        return new PendingTransaction(text, T0.plusSeconds(expiresIn));
    }

    @Test
    void takenOnceAndOnlyByItsSession() {
        MemoryTransactionStore s = new MemoryTransactionStore();
        String n = Nonces.fresh();
        s.issue("tag-a", n, pending("Pay 1", 60), T0);
        assertTrue(s.take("tag-b", n).isEmpty());
        assertEquals("Pay 1", s.take("tag-a", n).orElseThrow().text());
        assertTrue(s.take("tag-a", n).isEmpty());
        assertTrue(s.take("tag-a", null).isEmpty());
        assertTrue(s.take(null, n).isEmpty());
        assertTrue(s.take("tag-a", "x".repeat(101)).isEmpty());
        assertEquals(0, s.size());
    }

    @Test
    void boundedASessionAndInAll() {
        MemoryTransactionStore s = new MemoryTransactionStore(2, 3);
        String a1 = Nonces.fresh(), a2 = Nonces.fresh(), a3 = Nonces.fresh(), b1 = Nonces.fresh(), c1 = Nonces.fresh();
        s.issue("a", a1, pending("1", 60), T0);
        s.issue("a", a2, pending("2", 61), T0);
        s.issue("a", a3, pending("3", 62), T0); // pushes out a1
        assertTrue(s.take("a", a1).isEmpty());
        assertEquals(1, s.dropped());
        s.issue("b", b1, pending("4", 63), T0);
        s.issue("c", c1, pending("5", 64), T0); // full: pushes out the oldest, a2
        assertEquals(3, s.size());
        assertTrue(s.take("a", a2).isEmpty());
        assertEquals(2, s.dropped());
        assertEquals("3", s.take("a", a3).orElseThrow().text());
        assertEquals("5", s.take("c", c1).orElseThrow().text());
        assertEquals("4", s.take("b", b1).orElseThrow().text());
        assertThrows(IllegalArgumentException.class, () -> new MemoryTransactionStore(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new MemoryTransactionStore(1, 0));
    }

    @Test
    void theExpiredAreDroppedOnTheNextIssue() {
        MemoryTransactionStore s = new MemoryTransactionStore();
        String old = Nonces.fresh();
        s.issue("a", old, pending("old", 10), T0);
        // Still held when expired: the caller decides expiry by its clock.
        s.issue("b", Nonces.fresh(), pending("new", 100), T0.plusSeconds(10));
        assertEquals(2, s.size());
        s.issue("b", Nonces.fresh(), pending("newer", 100), T0.plusSeconds(11));
        assertEquals(2, s.size());
        assertTrue(s.take("a", old).isEmpty());
        assertEquals(0, s.dropped());
    }
}

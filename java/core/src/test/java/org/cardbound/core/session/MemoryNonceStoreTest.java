package org.cardbound.core.session;

import static org.cardbound.core.session.Outcome.outcome;
import static org.cardbound.core.session.Outcome.race;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import org.cardbound.core.Nonces;
import org.junit.jupiter.api.Test;

// The nonce store as server/tests/nonce_store_test.cpp: once, until it
// expires, one winner of a race; and its bounds.
class MemoryNonceStoreTest {
    final TestClock clock = new TestClock(Instant.parse("2030-01-01T00:00:00Z"));

    @Test
    void aNonceIsGoodOnceUntilItExpires() {
        MemoryNonceStore store = new MemoryNonceStore(clock);
        Instant now = clock.instant();
        store.issue("a", now.plusSeconds(60));
        assertEquals("ok", outcome(() -> store.take("a", now)));
        assertEquals("NONCE_REUSED", outcome(() -> store.take("a", now)));
        assertEquals("NONCE_UNKNOWN", outcome(() -> store.take("never", now)));
        assertEquals("NONCE_UNKNOWN", outcome(() -> store.take(null, now)));
        store.issue("b", now.plusSeconds(60));
        assertEquals("NONCE_EXPIRED", outcome(() -> store.take("b", now.plusSeconds(60))));
        // A used nonce that expired since is a replay still (NONCE_REUSED comes first, as in C++).
        assertEquals("NONCE_REUSED", outcome(() -> store.take("a", now.plusSeconds(61))));
    }

    @Test
    void concurrentTakersExactlyOneWins() throws Exception {
        MemoryNonceStore store = new MemoryNonceStore(clock);
        for (int round = 0; round < 20; round++) {
            String nonce = Nonces.fresh();
            Instant now = clock.instant();
            store.issue(nonce, now.plusSeconds(60));
            List<String> outcomes = race(32, () -> store.take(nonce, now));
            assertEquals(1, Collections.frequency(outcomes, "ok"), outcomes.toString());
            assertEquals(31, Collections.frequency(outcomes, "NONCE_REUSED"), outcomes.toString());
        }
    }

    @Test
    void oldNoncesAreForgottenAndTheStoreIsBounded() {
        MemoryNonceStore store = new MemoryNonceStore(clock, Duration.ofSeconds(10), 3);
        Instant now = clock.instant();
        for (String n : List.of("1", "2", "3", "4", "5")) store.issue(n, now.plusSeconds(60));
        assertEquals(3, store.size());
        // The oldest went first, and is refused, closed.
        assertEquals("NONCE_UNKNOWN", outcome(() -> store.take("1", now)));
        assertEquals("ok", outcome(() -> store.take("5", now)));
        clock.advance(Duration.ofSeconds(71));
        store.issue("6", clock.instant().plusSeconds(60));
        assertEquals(1, store.size());
        assertEquals("NONCE_UNKNOWN", outcome(() -> store.take("5", clock.instant())));
    }
}

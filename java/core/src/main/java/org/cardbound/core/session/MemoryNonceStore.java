package org.cardbound.core.session;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.ValidationException;

// The nonces in memory, thread-safe. Entries are kept in the order they were
// issued; every nonce lives the same challenge lifetime, so that is also the
// order they expire in, and forgetting the old ones only looks at the oldest
// few instead of scanning the whole map on every call.
public final class MemoryNonceStore implements NonceStore {
    // Used nonces are remembered this long after their expiry, so that a
    // replay is told as a replay rather than as unknown (the C++ default).
    public static final Duration DEFAULT_KEEP_USED = Duration.ofHours(1);
    public static final int DEFAULT_MAX_NONCES = 1_000_000;
    // A nonce is base64 of at most 64 bytes; anything longer was never issued.
    private static final int MAX_NONCE_LENGTH = 100;

    private static final class Entry {
        final Instant expires;
        boolean used;

        Entry(Instant expires) {
            this.expires = expires;
        }
    }

    private final Duration keepUsed;
    private final int maxNonces;
    private final Clock clock;
    private final LinkedHashMap<String, Entry> nonces = new LinkedHashMap<>();

    public MemoryNonceStore(Clock clock) {
        this(clock, DEFAULT_KEEP_USED, DEFAULT_MAX_NONCES);
    }

    public MemoryNonceStore(Clock clock, Duration keepUsed, int maxNonces) {
        if (keepUsed.isNegative() || maxNonces < 1) throw new IllegalArgumentException("keepUsed ≥ 0 and maxNonces ≥ 1 needed");
        this.clock = clock;
        this.keepUsed = keepUsed;
        this.maxNonces = maxNonces;
    }

    @Override
    public synchronized void issue(String nonce, Instant expires) {
        forgetOld(clock.instant());
        nonces.put(nonce, new Entry(expires));
        // Bounded: past the limit the oldest is forgotten. Its login then
        // fails with NONCE_UNKNOWN (closed), and memory stays bounded however
        // many challenges are asked for.
        while (nonces.size() > maxNonces) {
            Iterator<String> oldest = nonces.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    @Override
    public synchronized void take(String nonce, Instant now) throws ValidationException {
        Entry e = nonce == null || nonce.length() > MAX_NONCE_LENGTH ? null : nonces.get(nonce);
        if (e == null) throw new ValidationException(ValidationCode.NONCE_UNKNOWN, "the nonce was not issued here");
        if (e.used) throw new ValidationException(ValidationCode.NONCE_REUSED, "the nonce was used already");
        if (!now.isBefore(e.expires)) throw new ValidationException(ValidationCode.NONCE_EXPIRED, "the nonce has expired");
        e.used = true;
    }

    public synchronized int size() {
        return nonces.size();
    }

    // Drops the nonces whose keeping time is over, from the oldest on, and
    // stops at the first that is not: an entry out of order (a clock set
    // back) waits for its turn, and the size bound still holds meanwhile.
    private void forgetOld(Instant now) {
        Iterator<Map.Entry<String, Entry>> it = nonces.entrySet().iterator();
        while (it.hasNext()) {
            if (!it.next().getValue().expires.plus(keepUsed).isBefore(now)) return;
            it.remove();
        }
    }
}

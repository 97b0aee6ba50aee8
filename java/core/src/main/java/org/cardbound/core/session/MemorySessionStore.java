package org.cardbound.core.session;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.ValidationException;

// The sessions in memory, thread-safe: a ConcurrentHashMap of immutable
// sessions, changed only with computeIfPresent (atomic per key) and removed
// with remove (exactly one remover wins, and only it tells the listeners).
public final class MemorySessionStore implements SessionStore {
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
    private static final System.Logger LOG = System.getLogger(MemorySessionStore.class.getName());

    private final int maxSessions;
    private final ConcurrentHashMap<String, CardSession> sessions = new ConcurrentHashMap<>();
    private final List<SessionEndListener> listeners = new CopyOnWriteArrayList<>();

    public MemorySessionStore() {
        this(DEFAULT_MAX_SESSIONS);
    }

    public MemorySessionStore(int maxSessions) {
        if (maxSessions < 1) throw new IllegalArgumentException("maxSessions ≥ 1 needed");
        this.maxSessions = maxSessions;
    }

    @Override
    public void put(CardSession session, Instant now) {
        // Late sessions make room first; the bound is approximate under
        // concurrent logins (a few over), which is all it needs to be.
        if (sessions.size() >= maxSessions) expire(now);
        if (sessions.size() >= maxSessions) throw new IllegalStateException("too many live sessions (" + maxSessions + ")");
        if (sessions.putIfAbsent(session.id(), session) != null)
            throw new IllegalStateException("a session id came twice"); // 256 random bits: a broken RNG
    }

    @Override
    public Optional<CardSession> get(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(sessions.get(id));
    }

    @Override
    public CardSession update(String id, Change change) throws ValidationException {
        if (id == null) throw unknown();
        // computeIfPresent cannot throw a checked exception: the refusal is
        // carried out of it, and the session is left as it was.
        ValidationException[] refused = new ValidationException[1];
        CardSession updated = sessions.computeIfPresent(id, (key, current) -> {
            try {
                return change.apply(current);
            } catch (ValidationException e) {
                refused[0] = e;
                return current;
            }
        });
        if (refused[0] != null) throw refused[0];
        if (updated == null) throw unknown();
        return updated;
    }

    private static ValidationException unknown() {
        return new ValidationException(ValidationCode.SESSION_UNKNOWN, "no such session");
    }

    @Override
    public boolean end(String id, EndReason reason) {
        CardSession ended = id == null ? null : sessions.remove(id);
        if (ended == null) return false;
        tell(ended, reason);
        return true;
    }

    @Override
    public boolean discard(String id) {
        return id != null && sessions.remove(id) != null;
    }

    @Override
    public List<CardSession> expire(Instant now) {
        List<CardSession> ended = new ArrayList<>();
        for (CardSession s : sessions.values()) {
            // remove(key, value): only if unchanged since read, so a proof
            // that just renewed the deadline is not undone.
            if (s.isLate(now) && sessions.remove(s.id(), s)) {
                ended.add(s);
                tell(s, EndReason.PRESENCE_LATE);
            }
        }
        return ended;
    }

    @Override
    public int size() {
        return sessions.size();
    }

    @Override
    public void addListener(SessionEndListener listener) {
        listeners.add(listener);
    }

    // A listener's failure must not keep the others from hearing: the
    // session has ended either way.
    private void tell(CardSession s, EndReason reason) {
        for (SessionEndListener l : listeners) {
            try {
                l.sessionEnded(s, reason);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "a session-end listener failed", e);
            }
        }
    }
}

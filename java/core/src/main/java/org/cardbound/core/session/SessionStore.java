package org.cardbound.core.session;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.cardbound.core.validation.ValidationException;

// The card sessions. An interface so that a deployment may share them; the
// default, MemorySessionStore, keeps them in memory. Every read-modify-write
// goes through update(), atomic per session, so a confirm, a presence proof
// and a logout racing each other never undo one another.
public interface SessionStore {
    // A change of one session: the new value, or a refusal that leaves it as it was.
    @FunctionalInterface
    interface Change {
        CardSession apply(CardSession current) throws ValidationException;
    }

    // Adds a new session. Throws IllegalStateException when the store is full
    // of live sessions (closed: no login rather than unbounded memory).
    void put(CardSession session, Instant now);

    Optional<CardSession> get(String id);

    // Applies `change` atomically to the session and returns the new value;
    // SESSION_UNKNOWN when there is none (ended meanwhile), or the change's refusal.
    CardSession update(String id, Change change) throws ValidationException;

    // Ends the session and tells the listeners, once: true for the caller
    // that ended it, false when it was gone already.
    boolean end(String id, EndReason reason);

    // Removes the session without telling anyone (an unconfirmed session
    // replaced by a new login from the same browser).
    boolean discard(String id);

    // Ends (presence-late) every session whose deadline passed; returns them.
    List<CardSession> expire(Instant now);

    int size();

    void addListener(SessionEndListener listener);
}

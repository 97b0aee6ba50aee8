package org.cardbound.core.session;

// Told once when a session ends, by whoever ended it (a Tomcat layer
// invalidates its HttpSession and closes the session's event streams).
// Called on the thread that ended the session, after it left the store.
@FunctionalInterface
public interface SessionEndListener {
    void sessionEnded(CardSession session, EndReason reason);
}

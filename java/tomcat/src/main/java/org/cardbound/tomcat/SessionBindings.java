package org.cardbound.tomcat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.catalina.Session;
import org.apache.catalina.SessionEvent;
import org.apache.catalina.SessionListener;

// Which HttpSessions a card session logged in, so that the end of the card
// session (a pull, a late proof, a logout in any tab) invalidates them, and
// the end of an HttpSession (the application's logout, its timeout) ends the
// card session: the two live and die together.
final class SessionBindings {
    // The card session's id, kept as a note: notes are never serialised, so
    // an HttpSession restored after a restart is bound to nothing and refused.
    static final String NOTE = "org.cardbound.tomcat.cardSession";

    private final ConcurrentHashMap<String, Set<Session>> byCard = new ConcurrentHashMap<>();
    private final Consumer<String> httpSessionEnded;
    private final SessionListener listener = this::sessionEvent;

    // httpSessionEnded: told the card session id when a bound HttpSession ends.
    SessionBindings(Consumer<String> httpSessionEnded) {
        this.httpSessionEnded = httpSessionEnded;
    }

    static String cardSessionOf(Session session) {
        return session == null ? null : (String) session.getNote(NOTE);
    }

    void bind(String cardSessionId, Session session) {
        session.setNote(NOTE, cardSessionId);
        session.addSessionListener(listener);
        byCard.computeIfAbsent(cardSessionId, k -> ConcurrentHashMap.newKeySet()).add(session);
    }

    // The card session ended: every HttpSession it logged in is invalidated.
    void cardSessionEnded(String cardSessionId) {
        Set<Session> sessions = byCard.remove(cardSessionId);
        if (sessions == null) return;
        for (Session s : sessions) {
            s.removeSessionListener(listener); // the card session is over already
            if (s.isValid()) s.expire();
        }
    }

    private void sessionEvent(SessionEvent event) {
        if (!Session.SESSION_DESTROYED_EVENT.equals(event.getType())) return;
        Session s = event.getSession();
        String card = cardSessionOf(s);
        if (card == null) return;
        byCard.computeIfPresent(card, (k, set) -> {
            set.remove(s);
            return set.isEmpty() ? null : set;
        });
        httpSessionEnded.accept(card);
    }
}

package org.cardbound.tomcat;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.cardbound.core.session.EndReason;

// The open event streams (GET /cardbound/events), by card session: asynchronous
// requests, no thread each. A session's end wakes only its own streams; a
// keep-alive comment every few seconds finds tabs that went away, and a stream
// whose session vanished without an event hears "no-session", so none waits
// for ever (cardbound-server's rules, server/src/http/listener.cpp).
final class EventStreams {
    private final ConcurrentHashMap<String, Set<Stream>> bySession = new ConcurrentHashMap<>();

    // One open stream. Writes come from the container's threads and from the
    // keep-alive timer: one at a time, none after the stream is done.
    private final class Stream implements AsyncListener {
        private final String sessionId;
        private final AsyncContext async;
        private boolean done;

        Stream(String sessionId, AsyncContext async) {
            this.sessionId = sessionId;
            this.async = async;
        }

        synchronized boolean send(String text) {
            if (done) return false;
            try {
                var out = async.getResponse().getOutputStream();
                out.write(text.getBytes(StandardCharsets.UTF_8));
                out.flush();
                return true;
            } catch (IOException | IllegalStateException e) {
                finish(); // the tab went away
                return false;
            }
        }

        synchronized void finish() {
            if (done) return;
            done = true;
            forget(this);
            try {
                async.complete();
            } catch (IllegalStateException alreadyOver) {
                // the container ended it first (an error, a shutdown)
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            forget(this);
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            finish();
        }

        @Override
        public void onError(AsyncEvent event) {
            finish();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {}
    }

    static String endedEvent(EndReason reason) {
        return "event: session-ended\ndata: {\"reason\":\"" + reason.wireName() + "\"}\n\n";
    }

    // Holds an async request open for the session. `exists` is asked again
    // once it is registered: a session that ended in between is not missed.
    void open(String sessionId, AsyncContext async, Predicate<String> exists) {
        async.setTimeout(0); // bounded by the keep-alive instead
        Stream s = new Stream(sessionId, async);
        async.addListener(s);
        if (!s.send(": connected\n\n")) return;
        bySession.computeIfAbsent(sessionId, k -> ConcurrentHashMap.newKeySet()).add(s);
        if (!exists.test(sessionId)) ended(sessionId, EndReason.NO_SESSION);
    }

    // The session ended: its streams hear why, then close.
    void ended(String sessionId, EndReason reason) {
        Set<Stream> streams = bySession.remove(sessionId);
        if (streams == null) return;
        String event = endedEvent(reason);
        for (Stream s : streams) {
            s.send(event);
            s.finish();
        }
    }

    // For the timer: a comment on every stream (a closed tab fails the write),
    // and "no-session" to streams whose session is gone.
    void keepAlive(Predicate<String> exists) {
        for (String id : bySession.keySet()) {
            if (!exists.test(id)) {
                ended(id, EndReason.NO_SESSION);
                continue;
            }
            Set<Stream> streams = bySession.get(id);
            if (streams != null)
                for (Stream s : streams) s.send(": keep-alive\n\n");
        }
    }

    // At shutdown: every stream closes (the pages reconnect or find no session).
    void closeAll() {
        for (String id : bySession.keySet()) {
            Set<Stream> streams = bySession.remove(id);
            if (streams != null) streams.forEach(Stream::finish);
        }
    }

    private void forget(Stream s) {
        bySession.computeIfPresent(s.sessionId, (k, set) -> {
            set.remove(s);
            return set.isEmpty() ? null : set;
        });
    }
}

package org.cardbound.tomcat;

import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServletRequest;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.juli.logging.Log;
import org.apache.juli.logging.LogFactory;
import org.cardbound.core.session.CardSession;
import org.cardbound.core.session.EndReason;
import org.cardbound.core.session.MemoryTransactionStore;
import org.cardbound.core.session.RelyingParty;
import org.cardbound.core.session.Transactions;

// One web application's Cardbound: its relying party, its transaction
// confirmations, the event streams of its tabs and the HttpSessions its card
// sessions logged in. The
// CardboundAuthenticator makes it when the context starts and publishes it
// as a ServletContext attribute, where the CardboundServlet finds it.
//
// One mechanism ends everything: the session store tells its end listener
// once per ended card session (logout, card-removed, presence-late,
// presence-refused), and the listener closes that session's streams and
// invalidates its HttpSessions. A timer ends late sessions every second, so a
// tab whose host died is logged out at its presence deadline even when no
// request comes.
public final class CardboundService implements AutoCloseable {
    public static final String ATTRIBUTE = CardboundService.class.getName();
    private static final Log LOG = LogFactory.getLog(CardboundService.class);
    static final long KEEP_ALIVE_SECONDS = 10;

    private final RelyingParty rp;
    private final Transactions transactions;
    private final EventStreams streams = new EventStreams();
    private final SessionBindings bindings;
    private final ScheduledExecutorService timer;

    CardboundService(RelyingParty rp, String name) {
        this.rp = rp;
        // Questions live the relying party's challenge lifetime, in memory, bounded.
        this.transactions = new Transactions(rp, new MemoryTransactionStore());
        this.bindings = new SessionBindings(this::httpSessionEnded);
        rp.sessions().addListener(this::cardSessionEnded);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cardbound-timer " + name);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> guarded("expiring late sessions", rp::expire), 1, 1, TimeUnit.SECONDS);
        timer.scheduleWithFixedDelay(() -> guarded("keeping event streams alive", () -> streams.keepAlive(rp::exists)),
                KEEP_ALIVE_SECONDS, KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
    }

    // A failing round must not cancel the next (a scheduled task that throws never runs again).
    private static void guarded(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("cardbound: " + what + " failed", e);
        }
    }

    public static CardboundService of(ServletContext context) {
        Object s = context.getAttribute(ATTRIBUTE);
        return s instanceof CardboundService ? (CardboundService) s : null;
    }

    public RelyingParty relyingParty() {
        return rp;
    }

    // Transaction confirmation for this application's card sessions: its own
    // code may ask and check them too (the servlet's endpoints do).
    public Transactions transactions() {
        return transactions;
    }

    // The card session a request's __Host-cardbound cookie names, or null:
    // for transactions() (a secret, for no log and no page).
    public static String sessionIdOf(HttpServletRequest request) {
        return CardCookie.of(request);
    }

    EventStreams streams() {
        return streams;
    }

    SessionBindings bindings() {
        return bindings;
    }

    private void cardSessionEnded(CardSession session, EndReason reason) {
        streams.ended(session.id(), reason);
        bindings.cardSessionEnded(session.id());
    }

    // The application ended an HttpSession a card session logged in (its
    // logout, its timeout): the card session ends with it, for every tab.
    private void httpSessionEnded(String cardSessionId) {
        rp.logout(cardSessionId, EndReason.LOGOUT);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        streams.closeAll();
    }
}

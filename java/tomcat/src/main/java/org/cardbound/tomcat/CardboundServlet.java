package org.cardbound.tomcat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.ServletException;
import jakarta.servlet.UnavailableException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.juli.logging.Log;
import org.apache.juli.logging.LogFactory;
import org.cardbound.core.Json;
import org.cardbound.core.ProtocolException;
import org.cardbound.core.Registry;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.session.EndReason;
import org.cardbound.core.session.Login;
import org.cardbound.core.session.RelyingParty;
import org.cardbound.core.session.ConfirmedTransaction;
import org.cardbound.core.session.SessionInfo;
import org.cardbound.core.session.Transactions;
import org.cardbound.core.validation.ValidationException;

// The relying party's HTTP endpoints of docs/protocol.md §6 in a servlet, the
// same paths, bodies, statuses and codes as cardbound-server
// (server/src/http/router.cpp), so js/cardbound.js and the extension work
// against Tomcat unchanged. Map it to /cardbound/* and /cardbound.js, at the
// root of the site: the extension posts a pulled card's logout to
// ORIGIN/cardbound/logout. Needs the CardboundAuthenticator in the context
// (it makes the relying party); asynchronous for the event streams.
public final class CardboundServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Log LOG = LogFactory.getLog(CardboundServlet.class);
    // A POST body larger than this is refused unread, as cardbound-server does.
    static final int MAX_BODY_BYTES = 64 * 1024;
    private static final String SCRIPT = "cardbound.js";

    // One endpoint: a POST of a JSON object, answered by the relying party.
    @FunctionalInterface
    private interface Post {
        void handle(HttpServletResponse res, JsonNode body, String cookie) throws IOException, ValidationException;
    }

    private transient CardboundService service;
    private transient RelyingParty rp;
    private transient Transactions transactions;
    private transient byte[] script;
    private transient Map<String, Post> posts;

    @Override
    public void init() throws ServletException {
        service = CardboundService.of(getServletContext());
        if (service == null)
            throw new UnavailableException("cardbound: no CardboundAuthenticator in this context; add "
                    + "<Valve className=\"org.cardbound.tomcat.CardboundAuthenticator\" .../> to its context.xml "
                    + "(docs/integration.md)");
        rp = service.relyingParty();
        transactions = service.transactions();
        try (InputStream in = CardboundServlet.class.getResourceAsStream(SCRIPT)) {
            if (in == null) throw new UnavailableException("cardbound: " + SCRIPT + " is missing from the cardbound-tomcat jar");
            script = in.readAllBytes();
        } catch (IOException e) {
            throw new UnavailableException("cardbound: cannot read " + SCRIPT + ": " + e.getMessage());
        }
        posts = Map.of(
                "/cardbound/challenge", this::challenge,
                "/cardbound/login", this::login,
                "/cardbound/confirm", this::confirm,
                "/cardbound/presence/challenge", this::presenceChallenge,
                "/cardbound/presence", this::presence,
                "/cardbound/logout", this::logout,
                "/cardbound/transaction/challenge", this::transactionChallenge,
                "/cardbound/transaction", this::transaction);
    }

    private static String path(HttpServletRequest req) {
        return req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        res.setHeader("Cache-Control", "no-store");
        res.setHeader("X-Content-Type-Options", "nosniff");
        String path = path(req);
        try {
            if ("GET".equals(req.getMethod())) get(path, req, res);
            else if ("POST".equals(req.getMethod()) && posts.containsKey(path)) post(posts.get(path), req, res);
            else error(res, Registry.HttpErrorCode.NOT_FOUND);
        } catch (ValidationException e) {
            error(res, e.code().httpStatus(), e.code().name());
        } catch (RuntimeException e) {
            LOG.error("cardbound: " + req.getMethod() + " " + path, e);
            if (!res.isCommitted()) error(res, Registry.HttpErrorCode.INTERNAL);
        }
    }

    private void get(String path, HttpServletRequest req, HttpServletResponse res) throws IOException, ValidationException {
        switch (path) {
            case "/cardbound.js" -> {
                res.setContentType("text/javascript; charset=utf-8");
                res.setContentLength(script.length);
                res.getOutputStream().write(script);
            }
            case "/cardbound/session" -> {
                // The JavaScript API's view of this browser's session (another
                // tab's login to join) and how long it lives without a proof.
                SessionInfo s = rp.session(CardCookie.of(req));
                ObjectNode j = Json.mapper().createObjectNode();
                j.set("identity", s.identity().toJson());
                j.put("sessionTag", s.sessionTag()).put("presenceInterval", s.presenceInterval()).put("expiresIn", Math.max(0, s.expiresIn()));
                json(res, 200, j);
            }
            case "/cardbound/events" -> events(req, res);
            default -> error(res, Registry.HttpErrorCode.NOT_FOUND);
        }
    }

    // Held open asynchronously until the session ends (EventStreams).
    private void events(HttpServletRequest req, HttpServletResponse res) throws IOException {
        if (!req.isAsyncSupported()) {
            LOG.error("cardbound: the CardboundServlet needs <async-supported>true</async-supported> in web.xml");
            error(res, Registry.HttpErrorCode.INTERNAL);
            return;
        }
        String id = CardCookie.of(req);
        res.setContentType("text/event-stream");
        res.setCharacterEncoding("UTF-8");
        if (id == null || !rp.exists(id)) {
            res.getOutputStream().write(EventStreams.endedEvent(EndReason.NO_SESSION).getBytes(StandardCharsets.UTF_8));
            return;
        }
        res.flushBuffer();
        service.streams().open(id, req.startAsync(), rp::exists);
    }

    private void post(Post endpoint, HttpServletRequest req, HttpServletResponse res) throws IOException, ValidationException {
        // State changes only from the site itself.
        if (!rp.config().origin().equals(req.getHeader("Origin"))) {
            error(res, 403, ValidationCode.ORIGIN_MISMATCH.name());
            return;
        }
        JsonNode body = body(req);
        if (body == null || !body.isObject()) {
            error(res, Registry.HttpErrorCode.BAD_REQUEST);
            return;
        }
        endpoint.handle(res, body, CardCookie.of(req));
    }

    // The JSON body, read to at most MAX_BODY_BYTES; null when it is larger,
    // not UTF-8 (never patched up: a transaction's text is compared and
    // signed byte for byte) or not JSON.
    private static JsonNode body(HttpServletRequest req) throws IOException {
        if (req.getContentLengthLong() > MAX_BODY_BYTES) return null;
        byte[] bytes = req.getInputStream().readNBytes(MAX_BODY_BYTES + 1);
        if (bytes.length > MAX_BODY_BYTES) return null;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return Json.parse(text);
        } catch (CharacterCodingException | ProtocolException e) {
            return null;
        }
    }

    private static String text(JsonNode body, String name) {
        JsonNode v = body.get(name);
        return v != null && v.isTextual() ? v.textValue() : "";
    }

    private static ValidationException noSession() {
        return new ValidationException(ValidationCode.SESSION_UNKNOWN, "no session cookie");
    }

    private void challenge(HttpServletResponse res, JsonNode body, String cookie) throws IOException, ValidationException {
        json(res, 200, rp.challenge(text(body, "hostNonce")).toJson());
    }

    private void login(HttpServletResponse res, JsonNode body, String cookie) throws IOException, ValidationException {
        Login login;
        try {
            login = rp.login(text(body, "serverNonce"), body.get("token"), cookie);
        } catch (ValidationException e) {
            LOG.info("cardbound: a login refused: " + e.code().name());
            throw e;
        }
        ObjectNode j = Json.mapper().createObjectNode();
        j.set("receipt", login.receipt().toJson());
        CardCookie.set(res, login.session().id());
        json(res, 200, j);
    }

    private void confirm(HttpServletResponse res, JsonNode body, String cookie) throws IOException, ValidationException {
        if (cookie == null) throw noSession();
        ObjectNode j = Json.mapper().createObjectNode();
        j.set("identity", rp.confirm(cookie, body.get("proof")).toJson());
        j.put("presenceInterval", rp.config().presenceInterval());
        json(res, 200, j);
    }

    private void presenceChallenge(HttpServletResponse res, JsonNode body, String cookie) throws IOException, ValidationException {
        if (cookie == null) throw noSession();
        json(res, 200, rp.presenceChallenge(cookie).toJson());
    }

    private void presence(HttpServletResponse res, JsonNode body, String cookie) throws ValidationException {
        if (cookie == null) throw noSession();
        rp.presence(cookie, body.get("proof")); // a refusal ends the session
        res.setStatus(204);
    }

    // A text for the card of this browser's live, confirmed session to
    // confirm: 200 {"challenge"}; TRANSACTION_TEXT_INVALID (400) for a text
    // that is missing, not a string or breaks the text rule.
    private void transactionChallenge(HttpServletResponse res, JsonNode body, String cookie) throws IOException, ValidationException {
        if (cookie == null) throw noSession();
        ObjectNode j = Json.mapper().createObjectNode();
        j.set("challenge", transactions.challenge(cookie, text(body, "text")).toJson());
        json(res, 200, j);
    }

    // The card's confirmation: 200 {"confirmed": true, "text", "identity"}
    // with the text as issued and the identity as GET /cardbound/session
    // gives it, or the refusal's code. The session goes on either way. The
    // log gets the code and the text's length, never the text (a payee, an
    // amount).
    private void transaction(HttpServletResponse res, JsonNode body, String cookie) throws IOException, ValidationException {
        if (cookie == null) throw noSession();
        ConfirmedTransaction ok;
        try {
            ok = transactions.confirm(cookie, body.get("confirmation"));
        } catch (ValidationException e) {
            LOG.info("cardbound: a transaction refused: " + e.code().name());
            throw e;
        }
        LOG.info("cardbound: a transaction of " + ok.text().getBytes(StandardCharsets.UTF_8).length + " bytes confirmed, session "
                + ok.session().tag());
        ObjectNode j = Json.mapper().createObjectNode();
        j.put("confirmed", true).put("text", ok.text());
        j.set("identity", ok.session().identity().toJson());
        json(res, 200, j);
    }

    // Why, for the other tabs: the user's own logout, or the extension's
    // after a card pull. Another reason is BAD_REQUEST and nothing ends.
    private void logout(HttpServletResponse res, JsonNode body, String cookie) throws IOException, ValidationException {
        EndReason reason = EndReason.LOGOUT;
        if (body.has("reason")) {
            String r = text(body, "reason");
            if (r.equals(EndReason.CARD_REMOVED.wireName())) reason = EndReason.CARD_REMOVED;
            else if (!r.equals(EndReason.LOGOUT.wireName())) {
                error(res, Registry.HttpErrorCode.BAD_REQUEST);
                return;
            }
        }
        if (cookie == null) throw noSession();
        rp.logout(cookie, reason);
        CardCookie.clear(res);
        res.setStatus(204);
    }

    static void json(HttpServletResponse res, int status, JsonNode body) throws IOException {
        byte[] bytes = Json.mapper().writeValueAsBytes(body);
        res.setStatus(status);
        res.setContentType("application/json");
        res.setContentLength(bytes.length);
        res.getOutputStream().write(bytes);
    }

    static void error(HttpServletResponse res, Registry.HttpErrorCode code) throws IOException {
        error(res, code.httpStatus(), code.name());
    }

    static void error(HttpServletResponse res, int status, String code) throws IOException {
        json(res, status, Json.mapper().createObjectNode().put("error", code));
    }
}

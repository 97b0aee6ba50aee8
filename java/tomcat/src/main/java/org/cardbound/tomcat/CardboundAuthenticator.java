package org.cardbound.tomcat;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.security.Principal;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Session;
import org.apache.catalina.authenticator.AuthenticatorBase;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.juli.logging.Log;
import org.apache.juli.logging.LogFactory;
import org.cardbound.core.session.CardSession;
import org.cardbound.core.session.EndReason;
import org.cardbound.core.session.MemoryNonceStore;
import org.cardbound.core.session.MemorySessionStore;
import org.cardbound.core.session.RelyingParty;
import org.cardbound.core.session.RelyingPartyConfig;
import org.cardbound.core.session.SiteIdentity;
import org.cardbound.core.validation.OcspSettings;
import org.cardbound.core.validation.RevocationLists;
import org.cardbound.core.validation.TokenValidator;
import org.cardbound.core.validation.TrustAnchors;
import org.cardbound.core.validation.ValidationException;

// The auth-method CARDBOUND: a Tomcat Authenticator, configured as a Valve in
// the context.xml, that logs a request in from its card session the way
// CLIENT-CERT logs it in from a TLS client certificate (SSLAuthenticator):
// the card's certificate goes to the context's Realm through
// Realm.authenticate(X509Certificate[]), whose principal and roles the
// <security-constraint>s of web.xml then judge. The application's Realm stays
// what it was; getUserPrincipal() is the card holder.
//
// Unlike a TLS client certificate, the login lasts only while the card does:
// the HttpSession is bound to its card session, checked on every request, and
// invalidated when the card session ends (a pull, a late presence proof, a
// logout in any tab). A JSESSIONID without the card session's cookie logs
// nobody in.
//
// It also makes the relying party (CardboundService) the CardboundServlet
// serves. Attributes (context.xml):
//   origin             the site's exact origin, https://host[:port] (required)
//   trustAnchors       PEM files of the CAs that issue cards, comma-separated (required)
//   crls               CRL files (PEM or DER), comma-separated
//   ocsp               aia (default): the responder the card's certificate names; off; or an http:// URL
//   softFail           accept a card whose OCSP status cannot be known (never a revoked one)
//   presenceInterval   seconds between presence proofs (default 30)
//   presenceGrace      extra seconds before a session ends (default 10)
//   challengeLifetime  seconds a challenge lives (default 120)
//   siteCertificate, siteCertificateChain, siteKey, siteKeyPassword
//                      PEM files that sign the site's messages (default: the HTTPS connector's)
//   loginPage          where a browser without a card session is sent (303) for a
//                      protected page; without it, 401 with {"error": CODE}
public final class CardboundAuthenticator extends AuthenticatorBase {
    public static final String AUTH_METHOD = "CARDBOUND";
    private static final Log LOG = LogFactory.getLog(CardboundAuthenticator.class);

    private String origin;
    private String trustAnchors;
    private String crls;
    private String ocsp = "aia";
    private boolean softFail;
    private int presenceInterval = 30;
    private int presenceGrace = 10;
    private int challengeLifetime = 120;
    private String siteCertificate;
    private String siteCertificateChain;
    private String siteKey;
    private String siteKeyPassword;
    private String loginPage;

    private volatile CardboundService service;

    public void setOrigin(String v) { origin = v; }
    public void setTrustAnchors(String v) { trustAnchors = v; }
    public void setCrls(String v) { crls = v; }
    public void setOcsp(String v) { ocsp = v; }
    public void setSoftFail(boolean v) { softFail = v; }
    public void setPresenceInterval(int v) { presenceInterval = v; }
    public void setPresenceGrace(int v) { presenceGrace = v; }
    public void setChallengeLifetime(int v) { challengeLifetime = v; }
    public void setSiteCertificate(String v) { siteCertificate = v; }
    public void setSiteCertificateChain(String v) { siteCertificateChain = v; }
    public void setSiteKey(String v) { siteKey = v; }
    public void setSiteKeyPassword(String v) { siteKeyPassword = v; }
    public void setLoginPage(String v) { loginPage = v; }

    public CardboundService service() {
        return service;
    }

    @Override
    protected String getAuthMethod() {
        return AUTH_METHOD;
    }

    private static List<Path> files(String list) {
        if (list == null || list.isBlank()) return List.of();
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of).toList();
    }

    // Everything is checked here, at the context's start: a bad setting stops
    // the application with the reason, never a login that fails later.
    @Override
    protected synchronized void startInternal() throws LifecycleException {
        super.startInternal();
        try {
            if (origin == null) throw new IllegalArgumentException("the origin attribute is required (https://host[:port])");
            if (files(trustAnchors).isEmpty()) throw new IllegalArgumentException("the trustAnchors attribute is required");
            RelyingPartyConfig config = new RelyingPartyConfig(origin, challengeLifetime, presenceInterval, presenceGrace);
            OcspSettings ocspSettings = null;
            if (!"off".equals(ocsp)) {
                if (!"aia".equals(ocsp) && !ocsp.startsWith("http://"))
                    throw new IllegalArgumentException("ocsp takes aia, off or an http:// URL, not " + ocsp);
                ocspSettings = OcspSettings.of("aia".equals(ocsp) ? null : ocsp, softFail);
            }
            Clock clock = Clock.systemUTC();
            TokenValidator validator = new TokenValidator(TrustAnchors.fromFiles(files(trustAnchors)),
                    RevocationLists.fromFiles(files(crls)), ocspSettings, clock);
            SiteIdentity site = siteCertificate != null || siteKey != null
                    ? SiteKeys.fromFiles(required(siteCertificate, "siteCertificate"), siteCertificateChain,
                            required(siteKey, "siteKey"), siteKeyPassword)
                    : SiteKeys.fromConnector(context);
            RelyingParty rp = new RelyingParty(config, site, validator, new MemoryNonceStore(clock), new MemorySessionStore(), clock);
            service = new CardboundService(rp, appName());
        } catch (IllegalArgumentException e) {
            throw new LifecycleException("cardbound: " + appName() + ": " + e.getMessage(), e);
        }
        context.getServletContext().setAttribute(CardboundService.ATTRIBUTE, service);
        LOG.info("cardbound: " + appName() + " logs card holders in for " + origin);
    }

    // The context's path for messages ("/" for the root application).
    private String appName() {
        return context.getPath().isEmpty() ? "/" : context.getPath();
    }

    private static String required(String value, String name) {
        if (value == null) throw new IllegalArgumentException("siteCertificate and siteKey go together; " + name + " is missing");
        return value;
    }

    @Override
    protected synchronized void stopInternal() throws LifecycleException {
        if (service != null) {
            context.getServletContext().removeAttribute(CardboundService.ATTRIBUTE);
            service.close();
            service = null;
        }
        super.stopInternal();
    }

    // Before Tomcat trusts a cached login: the HttpSession must still be
    // bound to the request's own card session, and that one must still live.
    // Otherwise the HttpSession ends here, and the request is judged afresh.
    @Override
    public void invoke(Request request, Response response) throws IOException, jakarta.servlet.ServletException {
        Session session = request.getSessionInternal(false);
        if (session != null && AUTH_METHOD.equals(session.getAuthType())) {
            String bound = SessionBindings.cardSessionOf(session);
            if (bound == null || !bound.equals(CardCookie.of(request)) || !isConfirmed(bound)) session.expire();
        }
        super.invoke(request, response);
    }

    private boolean isConfirmed(String cardSessionId) {
        try {
            service.relyingParty().confirmedSession(cardSessionId);
            return true;
        } catch (ValidationException e) {
            return false;
        }
    }

    @Override
    protected boolean doAuthenticate(Request request, HttpServletResponse response) throws IOException {
        if (checkForCachedAuthentication(request, response, true)) return true;
        String id = CardCookie.of(request);
        CardSession card;
        try {
            card = service.relyingParty().confirmedSession(id);
        } catch (ValidationException e) {
            if (loginPage != null && "GET".equals(request.getMethod())) {
                response.setStatus(303);
                response.setHeader("Location", request.getContextPath() + loginPage);
                response.setHeader("Cache-Control", "no-store");
            } else {
                CardboundServlet.error(response, 401, e.code().name());
            }
            return false;
        }
        // As SSLAuthenticator: the Realm maps the certificate to its user and roles.
        Principal principal = context.getRealm().authenticate(new X509Certificate[] {card.certificate()});
        if (principal == null) {
            // The card is proven; this application just has no account for its holder.
            response.sendError(403, "no account for " + card.certificate().getSubjectX500Principal());
            return false;
        }
        // A fresh session id for the login (Tomcat's session fixation rule), then bound to the card.
        request.getSessionInternal(true);
        register(request, response, principal, AUTH_METHOD, null, null);
        service.bindings().bind(id, request.getSessionInternal(false));
        return true;
    }

    // HttpServletRequest.logout(): the card session ends too, for every tab.
    @Override
    public void logout(Request request) {
        Session session = request.getSessionInternal(false);
        String bound = SessionBindings.cardSessionOf(session);
        if (bound != null && service != null) service.relyingParty().logout(bound, EndReason.LOGOUT);
        super.logout(request);
    }
}

#include "http/router.h"
#include "cardbound/crypto/certificate.h"
#include "cardbound/protocol/registry.h"
#include "http/rate_limiter.h"
#include "http/site_files.h"
#include "validation/store_unavailable.h"

#include <spdlog/spdlog.h>

namespace cardbound::server
{

namespace http = boost::beast::http;
using nlohmann::json;

namespace
{

constexpr const char *kEventsPath = "/cardbound/events";

HttpResponse reply(const HttpRequest &req, http::status status, const std::string &body,
                   const char *type = "application/json")
{
    HttpResponse res{status, req.version()};
    res.set(http::field::content_type, type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.keep_alive(req.keep_alive());
    res.body() = body;
    res.prepare_payload();
    return res;
}

HttpResponse json_reply(const HttpRequest &req, http::status status, const json &j)
{
    return reply(req, status, j.dump());
}

HttpResponse error_reply(const HttpRequest &req, http::status status, std::string_view code)
{
    return json_reply(req, status, {{"error", code}});
}

// A request the relying party does not serve at all (not a refusal of a
// token or a session: those carry a ValidationCode).
HttpResponse http_error(const HttpRequest &req, http::status status, registry::HttpErrorCode code)
{
    return error_reply(req, status, registry::http_error_name(code));
}

void set_cookie(HttpResponse &res, const std::string &value, bool clear = false)
{
    std::string c =
        std::string(Router::kCookie) + "=" + value + "; Path=/; Secure; HttpOnly; SameSite=Strict";
    if (clear)
        c += "; Max-Age=0";
    res.set(http::field::set_cookie, c);
}

// The path without its query (which a site's page could fill with anything).
std::string path_of(const HttpRequest &req)
{
    std::string_view t(req.target().data(), req.target().size());
    return std::string(t.substr(0, t.find('?')));
}

} // namespace

Router::Router(RelyingParty &rp, Metrics &metrics, std::function<std::time_t()> now,
               StaticFiles files, const SiteFiles *site, RateLimiter *limiter)
    : rp_(rp), metrics_(metrics), now_(std::move(now)), files_(std::move(files)), site_(site),
      limiter_(limiter)
{
}

bool Router::is_event_stream(const HttpRequest &req)
{
    return req.method() == http::verb::get && req.target() == kEventsPath;
}

bool Router::is_health_check(const HttpRequest &req)
{
    return (req.method() == http::verb::get || req.method() == http::verb::head) &&
           path_of(req) == "/healthz";
}

HttpResponse Router::busy(const HttpRequest &req)
{
    auto res =
        http_error(req, http::status::service_unavailable, registry::HttpErrorCode::ServerBusy);
    res.set(http::field::retry_after, "1");
    res.keep_alive(false);
    return res;
}

bool Router::may_block(const HttpRequest &req)
{
    return req.method() == http::verb::post && req.target() == "/cardbound/login";
}

bool Router::is_builtin_file(const HttpRequest &req) const
{
    return (req.method() == http::verb::get || req.method() == http::verb::head) &&
           files_.find(path_of(req)) != files_.end();
}

std::optional<std::string> Router::session_cookie(const HttpRequest &req)
{
    auto header = req[http::field::cookie];
    std::string_view rest(header.data(), header.size());
    std::string prefix = std::string(kCookie) + "=";
    while (!rest.empty()) {
        auto end = rest.find(';');
        std::string_view part = rest.substr(0, end);
        while (!part.empty() && part.front() == ' ')
            part.remove_prefix(1);
        if (part.starts_with(prefix)) {
            std::string v(part.substr(prefix.size()));
            if (v.empty() || v.size() > 64)
                return std::nullopt;
            return v;
        }
        if (end == std::string_view::npos)
            break;
        rest.remove_prefix(end + 1);
    }
    return std::nullopt;
}

std::variant<Session, ValidationCode> Router::live_session(const std::optional<std::string> &id,
                                                           std::time_t now)
{
    if (!id)
        return ValidationCode::SessionUnknown;
    try {
        return rp_.session(*id, now); // a late one ends (and is announced) there
    } catch (const ValidationError &e) {
        return e.code;
    }
}

std::variant<Identity, ValidationCode> Router::identity(const std::optional<std::string> &id,
                                                        std::time_t now)
{
    auto found = live_session(id, now);
    if (auto *code = std::get_if<ValidationCode>(&found))
        return *code;
    return std::get<Session>(found).identity;
}

bool Router::session_exists(const std::string &session_id)
{
    try {
        auto who = identity(session_id, now_());
        auto *code = std::get_if<ValidationCode>(&who);
        return !code || *code == ValidationCode::NotConfirmed;
    } catch (const StoreUnavailable &e) {
        metrics_.store_unavailable++;
        if (store_log_.note())
            spdlog::warn("event stream: store unavailable: {}", e.what());
        return true;
    }
}

namespace
{

// The subject of the certificate a refused token carries, for the log; never
// the token itself.
std::string subject_of(const json &token)
{
    try {
        auto cert = parse_der_certificate(TokenValidator::parse(token).certificate);
        if (!cert) // DER OpenSSL cannot read: nothing to name (found by the request fuzzer)
            return "(no readable certificate)";
        return name_to_string(X509_get_subject_name(cert.get()));
    } catch (const std::exception &) {
        return "(no readable certificate)";
    }
}

} // namespace

HttpResponse Router::handle(const HttpRequest &req, const std::string &client)
{
    metrics_.requests++;
    auto started = std::chrono::steady_clock::now();
    HttpResponse res;
    try {
        // The event stream is no document a HEAD could describe.
        if (req.method() == http::verb::head && req.target() == kEventsPath) {
            res = reply(req, http::status::method_not_allowed, "");
            res.set(http::field::allow, "GET");
        } else {
            res = route(req, client);
        }
    } catch (const StoreUnavailable &e) {
        // Fail closed, in one place: whatever the request was doing (a
        // challenge's nonce, a login, a proof, a logout, a session check for
        // /api/me or a protected file), it did not happen; the client may
        // try again shortly.
        metrics_.store_unavailable++;
        if (auto n = store_log_.note())
            spdlog::warn("{} {}: store unavailable: {}{}", std::string(req.method_string()),
                         path_of(req), e.what(),
                         n > 1 ? " (and " + std::to_string(n - 1) + " more since the last line)"
                               : "");
        res = http_error(req, http::status::service_unavailable,
                         registry::HttpErrorCode::StoreUnavailable);
        res.set(http::field::retry_after, "1");
    } catch (const std::exception &e) {
        // The path only: a query string could carry anything.
        spdlog::error("{} {}: {}", std::string(req.method_string()), path_of(req), e.what());
        res =
            http_error(req, http::status::internal_server_error, registry::HttpErrorCode::Internal);
    }
    if (req.method() == http::verb::head) {
        // The GET's headers, its Content-Length included, without the body.
        auto length = res.body().size();
        res.body().clear();
        res.content_length(length);
    }
    if (access_log_ != AccessLog::Off) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
        std::string method(req.method_string()), path = path_of(req);
        if (access_log_ == AccessLog::Json)
            spdlog::info("{}", json{{"client", client},
                                    {"method", method},
                                    {"path", path},
                                    {"status", res.result_int()},
                                    {"bytes", res.body().size()},
                                    {"us", us}}
                                   .dump());
        else
            spdlog::info("{} \"{} {}\" {} {} {}us", client, method, path, res.result_int(),
                         res.body().size(), us);
    }
    return res;
}

const Router::Endpoint Router::kEndpoints[] = {
    {http::verb::get, "/healthz", &Router::healthz},
    {http::verb::get, "/metrics", &Router::metrics},
    {http::verb::get, "/cardbound/session", &Router::session},
    {http::verb::get, "/api/me", &Router::me},
    {http::verb::post, "/cardbound/challenge", &Router::challenge, true},
    {http::verb::post, "/cardbound/login", &Router::login, true},
    {http::verb::post, "/cardbound/confirm", &Router::confirm},
    {http::verb::post, "/cardbound/presence/challenge", &Router::presence_challenge},
    {http::verb::post, "/cardbound/presence", &Router::presence},
    {http::verb::post, "/cardbound/logout", &Router::logout},
    {http::verb::post, "/cardbound/transaction/challenge", &Router::transaction_challenge},
    {http::verb::post, "/cardbound/transaction", &Router::transaction},
};

HttpResponse Router::route(const HttpRequest &req, const std::string &client)
{
    // Endpoints by path; a query string does not change which one.
    const std::string target = path_of(req);
    // HEAD is a GET whose body handle() drops.
    auto method = req.method() == http::verb::head ? http::verb::get : req.method();
    const Endpoint *endpoint = nullptr;
    for (const auto &e : kEndpoints)
        if (e.method == method && e.path == target)
            endpoint = &e;
    Call call{req, now_(), session_cookie(req), json()};
    if (!endpoint) {
        if (method == http::verb::get)
            return file(req, call.now);
        return http_error(req, http::status::not_found, registry::HttpErrorCode::NotFound);
    }
    if (endpoint->rate_limited && limiter_) {
        if (int wait = limiter_->take(client, RateLimiter::Clock::now())) {
            metrics_.rate_limited++;
            auto res = http_error(req, http::status::too_many_requests,
                                  registry::HttpErrorCode::RateLimited);
            res.set(http::field::retry_after, std::to_string(wait));
            return res;
        }
    }
    if (method == http::verb::post) {
        // State changes only from the site itself, with a JSON object.
        auto origin = req[http::field::origin];
        if (std::string_view(origin.data(), origin.size()) != rp_.config().origin)
            return error_reply(req, http::status::forbidden,
                               code_name(ValidationCode::OriginMismatch));
        call.body = json::parse(req.body(), nullptr, false);
        if (call.body.is_discarded() || !call.body.is_object())
            return http_error(req, http::status::bad_request, registry::HttpErrorCode::BadRequest);
    }
    try {
        return (this->*endpoint->handler)(call);
    } catch (const ValidationError &e) {
        // A text the server will not ask about is the caller's mistake, not
        // a refused credential: the registry's 400.
        auto status = e.code == ValidationCode::TransactionTextInvalid ? http::status::bad_request
                                                                       : http::status::unauthorized;
        return error_reply(req, status, code_name(e.code));
    }
}

namespace
{

std::string text(const json &body, const char *name)
{
    auto it = body.find(name);
    return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

json member(const json &body, const char *name)
{
    auto it = body.find(name);
    return it != body.end() ? *it : json();
}

// The endpoints that act on a session need its cookie.
const std::string &cookie_of(const std::optional<std::string> &cookie)
{
    if (!cookie)
        throw ValidationError(ValidationCode::SessionUnknown, "no session cookie");
    return *cookie;
}

} // namespace

HttpResponse Router::healthz(Call &c)
{
    if (health_)
        if (auto why = health_())
            return reply(c.req, http::status::service_unavailable,
                         "store unavailable: " + *why + "\n", "text/plain");
    return reply(c.req, http::status::ok, "ok\n", "text/plain");
}

// Counted even when the store is down (then without the sessions gauge):
// that is when an operator looks.
HttpResponse Router::metrics(Call &c)
{
    std::optional<std::size_t> live;
    try {
        live = rp_.live_sessions();
    } catch (const StoreUnavailable &) {
        metrics_.store_unavailable++;
    }
    return reply(c.req, http::status::ok, metrics_.prometheus(live), "text/plain; version=0.0.4");
}

// The JavaScript API's view of this browser's session: another tab's login
// to join, and how long the server grants it without a new presence proof
// (so every tab can end it in time when the server is out of reach).
HttpResponse Router::session(Call &c)
{
    auto found = live_session(c.cookie, c.now);
    if (auto *code = std::get_if<ValidationCode>(&found))
        return error_reply(c.req, http::status::unauthorized, code_name(*code));
    const Session &s = std::get<Session>(found);
    return json_reply(c.req, http::status::ok,
                      {{"identity", s.identity.to_json()},
                       {"sessionTag", s.tag},
                       {"presenceInterval", rp_.config().presence_interval},
                       {"expiresIn", std::max<std::time_t>(0, s.deadline - c.now)}});
}

HttpResponse Router::me(Call &c)
{
    auto who = identity(c.cookie, c.now);
    if (auto *code = std::get_if<ValidationCode>(&who))
        return error_reply(c.req, http::status::unauthorized, code_name(*code));
    return json_reply(c.req, http::status::ok, std::get<Identity>(who).to_json());
}

HttpResponse Router::file(const HttpRequest &req, std::time_t now)
{
    const std::string target(req.target());
    // The built-in files by path, as the endpoints (/cardbound.js?v=2 too).
    if (auto f = files_.find(path_of(req)); f != files_.end())
        return reply(req, http::status::ok, f->second.body, f->second.content_type.c_str());
    if (site_) {
        // A protected page without a live card session (by the path asked
        // for, or by the file it resolves to): back to the site's front
        // page, where the user can log in.
        auto found = site_->locate(target);
        bool guarded = site_->is_protected(target) || (found && found->is_protected);
        if (guarded && std::holds_alternative<ValidationCode>(identity(session_cookie(req), now))) {
            HttpResponse res{http::status::see_other, req.version()};
            res.set(http::field::location, "/");
            res.set(http::field::cache_control, "no-store");
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            return res;
        }
        if (auto f = found ? site_->read(*found) : std::nullopt)
            return reply(req, http::status::ok, f->body, f->content_type.c_str());
    }
    return http_error(req, http::status::not_found, registry::HttpErrorCode::NotFound);
}

HttpResponse Router::challenge(Call &c)
{
    return json_reply(c.req, http::status::ok,
                      rp_.challenge(text(c.body, "hostNonce"), c.now).to_json());
}

// One session per site and browser: a browser with a live session joins it
// (GET /cardbound/session) instead of logging in again, so a second login can
// never leave the first without its cookie and log the user out while the
// card is in. An unconfirmed one (an abandoned login) is replaced silently.
HttpResponse Router::login(Call &c)
{
    if (c.cookie) {
        auto found = live_session(c.cookie, c.now);
        if (std::holds_alternative<Session>(found))
            return error_reply(c.req, http::status::conflict,
                               code_name(ValidationCode::SessionExists));
        if (std::get<ValidationCode>(found) == ValidationCode::NotConfirmed)
            rp_.discard(*c.cookie);
    }
    auto started = std::chrono::steady_clock::now();
    try {
        auto login = rp_.login(member(c.body, "token"), text(c.body, "serverNonce"),
                               rp_.config().origin, c.now);
        metrics_.validation_seconds.observe(std::chrono::steady_clock::now() - started);
        metrics_.logins_ok++;
        auto res = json_reply(c.req, http::status::ok, {{"receipt", login.receipt.to_json()}});
        set_cookie(res, login.session.id);
        return res;
    } catch (const ValidationError &e) {
        metrics_.validation_seconds.observe(std::chrono::steady_clock::now() - started);
        metrics_.logins_refused++;
        if (auto n = refused_log_.note())
            spdlog::warn("login refused: {} (certificate {}){}", code_name(e.code),
                         subject_of(member(c.body, "token")),
                         n > 1 ? " and " + std::to_string(n - 1) + " more since the last line"
                               : "");
        throw;
    }
}

HttpResponse Router::confirm(Call &c)
{
    const std::string &id = cookie_of(c.cookie);
    rp_.confirm(id, member(c.body, "proof"), c.now);
    metrics_.confirms++;
    Session s = rp_.session(id, c.now);
    return json_reply(
        c.req, http::status::ok,
        {{"identity", s.identity.to_json()}, {"presenceInterval", rp_.config().presence_interval}});
}

HttpResponse Router::presence_challenge(Call &c)
{
    return json_reply(c.req, http::status::ok,
                      rp_.presence_challenge(cookie_of(c.cookie), c.now).to_json());
}

HttpResponse Router::presence(Call &c)
{
    auto started = std::chrono::steady_clock::now();
    try {
        rp_.presence(cookie_of(c.cookie), member(c.body, "proof"), c.now);
    } catch (const ValidationError &) {
        metrics_.presence_refused++; // and the session ended, in the relying party
        throw;
    }
    metrics_.presence_seconds.observe(std::chrono::steady_clock::now() - started);
    metrics_.presence_ok++;
    return reply(c.req, http::status::no_content, "");
}

// Why, for the other tabs: the user's own logout, or the extension logging
// the site out because the card left its reader. Another reason is
// BAD_REQUEST, and nothing ends.
HttpResponse Router::logout(Call &c)
{
    std::string reason = c.body.contains("reason") ? text(c.body, "reason")
                                                   : std::string(registry::end_reason::kLogout);
    if (reason != registry::end_reason::kLogout && reason != registry::end_reason::kCardRemoved)
        return http_error(c.req, http::status::bad_request, registry::HttpErrorCode::BadRequest);
    rp_.logout(cookie_of(c.cookie), reason);
    metrics_.logouts++;
    auto res = reply(c.req, http::status::no_content, "");
    set_cookie(res, "", true);
    return res;
}

namespace
{

// What the log may say of a transaction: the text may hold personal data (a
// payee, an amount), so only its length and the start of its nonce, which
// tie the line to a challenge without the text.
std::string transaction_summary(std::size_t text_bytes, std::string_view nonce)
{
    return "text of " + std::to_string(text_bytes) + " bytes, nonce " +
           std::string(nonce.substr(0, 8)) + "...";
}

} // namespace

HttpResponse Router::transaction_challenge(Call &c)
{
    if (!transactions_)
        return http_error(c.req, http::status::not_found, registry::HttpErrorCode::NotFound);
    TransactionChallenge challenge =
        transactions_->challenge(cookie_of(c.cookie), text(c.body, "text"), c.now);
    metrics_.transactions_asked++;
    spdlog::debug("transaction asked: session {}, {}", challenge.session_tag,
                  transaction_summary(challenge.text.size(), challenge.nonce));
    return json_reply(c.req, http::status::ok, {{"challenge", challenge.to_json()}});
}

HttpResponse Router::transaction(Call &c)
{
    if (!transactions_)
        return http_error(c.req, http::status::not_found, registry::HttpErrorCode::NotFound);
    json confirmation = member(c.body, "confirmation");
    try {
        auto confirmed = transactions_->confirm(cookie_of(c.cookie), confirmation, c.now);
        metrics_.transactions_confirmed++;
        spdlog::info("transaction confirmed: session {}, {}", confirmed.session.tag,
                     transaction_summary(confirmed.text.size(), confirmed.nonce));
        return json_reply(c.req, http::status::ok,
                          {{"confirmed", true},
                           {"text", confirmed.text},
                           {"identity", confirmed.session.identity.to_json()}});
    } catch (const ValidationError &e) {
        metrics_.transactions_refused[static_cast<std::size_t>(e.code)]++;
        if (auto n = transaction_log_.note()) {
            // What the page sent is not trusted: the text by its size only,
            // the nonce only if it is one (no control characters in the log).
            std::size_t bytes = confirmation.is_object() ? text(confirmation, "text").size() : 0;
            std::string nonce = confirmation.is_object() ? text(confirmation, "nonce") : "";
            if (!is_valid_nonce(nonce))
                nonce = "(none)";
            spdlog::warn("transaction refused: {} ({}){}", code_name(e.code),
                         transaction_summary(bytes, nonce),
                         n > 1 ? " and " + std::to_string(n - 1) + " more since the last line"
                               : "");
        }
        throw;
    }
}

} // namespace cardbound::server

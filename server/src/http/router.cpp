#include "http/router.h"
#include "cardbound/protocol/registry.h"
#include "http/site_files.h"

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

} // namespace

std::string Metrics::prometheus(std::size_t live_sessions) const
{
    std::string out;
    auto counter = [&](const char *name, const char *help, unsigned long v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" +
               name + " " + std::to_string(v) + "\n";
    };
    counter("cardbound_http_requests_total", "HTTP requests served.", requests);
    counter("cardbound_logins_total", "Tokens accepted.", logins_ok);
    counter("cardbound_logins_refused_total", "Tokens refused.", logins_refused);
    counter("cardbound_confirms_total", "Sessions confirmed by their first presence proof.",
            confirms);
    counter("cardbound_presence_proofs_total", "Presence proofs accepted.", presence_ok);
    counter("cardbound_presence_refused_total", "Presence proofs refused.", presence_refused);
    counter("cardbound_sessions_late_total", "Sessions ended by a missed presence deadline.",
            sessions_ended_late);
    counter("cardbound_logouts_total", "Sessions ended by logout.", logouts);
    counter("cardbound_connections_refused_total",
            "Connections closed at once because --max-connections were open.", connections_refused);
    auto gauge = [&](const char *name, const char *help, long v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name +
               " " + std::to_string(v) + "\n";
    };
    gauge("cardbound_open_connections", "Open client connections, event streams included.",
          open_connections);
    gauge("cardbound_open_event_streams", "Open event streams.", open_event_streams);
    gauge("cardbound_sessions", "Live sessions.", static_cast<long>(live_sessions));
    return out;
}

Router::Router(RelyingParty &rp, EventHub &hub, Metrics &metrics, std::function<std::time_t()> now,
               StaticFiles files, const SiteFiles *site)
    : rp_(rp), hub_(hub), metrics_(metrics), now_(std::move(now)), files_(std::move(files)),
      site_(site)
{
}

bool Router::is_event_stream(const HttpRequest &req)
{
    return req.method() == http::verb::get && req.target() == kEventsPath;
}

bool Router::may_block(const HttpRequest &req)
{
    return req.method() == http::verb::post && req.target() == "/cardbound/login";
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
        return rp_.session(*id, now);
    } catch (const ValidationError &e) {
        // Whoever finds a session late first tells its tabs.
        if (e.code == ValidationCode::PresenceLate)
            hub_.session_ended(*id, std::string(registry::end_reason::kPresenceLate));
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
    auto who = identity(session_id, now_());
    auto *code = std::get_if<ValidationCode>(&who);
    return !code || *code == ValidationCode::NotConfirmed;
}

HttpResponse Router::handle(const HttpRequest &req)
{
    metrics_.requests++;
    HttpResponse res;
    try {
        // The event stream is no document a HEAD could describe.
        if (req.method() == http::verb::head && req.target() == kEventsPath) {
            res = reply(req, http::status::method_not_allowed, "");
            res.set(http::field::allow, "GET");
        } else {
            res = route(req);
        }
    } catch (const std::exception &e) {
        spdlog::error("{} {}: {}", std::string(req.method_string()), std::string(req.target()),
                      e.what());
        res =
            http_error(req, http::status::internal_server_error, registry::HttpErrorCode::Internal);
    }
    if (req.method() == http::verb::head) {
        // The GET's headers, its Content-Length included, without the body.
        auto length = res.body().size();
        res.body().clear();
        res.content_length(length);
    }
    return res;
}

HttpResponse Router::route(const HttpRequest &req)
{
    const std::string target(req.target());
    std::time_t now = now_();

    if (req.method() == http::verb::get || req.method() == http::verb::head) {
        if (target == "/healthz")
            return reply(req, http::status::ok, "ok\n", "text/plain");
        if (target == "/metrics") {
            return reply(req, http::status::ok, metrics_.prometheus(rp_.live_sessions()),
                         "text/plain; version=0.0.4");
        }
        if (auto file = files_.find(target); file != files_.end())
            return reply(req, http::status::ok, file->second.body,
                         file->second.content_type.c_str());
        if (target == "/cardbound/session") {
            // The JavaScript API's view of this browser's session: another
            // tab's login to join, and how long the server grants it without
            // a new presence proof (so every tab can end it in time when the
            // server is out of reach).
            auto found = live_session(session_cookie(req), now);
            if (auto *code = std::get_if<ValidationCode>(&found))
                return error_reply(req, http::status::unauthorized, code_name(*code));
            const Session &s = std::get<Session>(found);
            return json_reply(req, http::status::ok,
                              {{"identity", s.identity.to_json()},
                               {"sessionTag", s.tag},
                               {"presenceInterval", rp_.config().presence_interval},
                               {"expiresIn", std::max<std::time_t>(0, s.deadline - now)}});
        }
        if (target == "/api/me") {
            auto who = identity(session_cookie(req), now);
            if (auto *code = std::get_if<ValidationCode>(&who))
                return error_reply(req, http::status::unauthorized, code_name(*code));
            return json_reply(req, http::status::ok, std::get<Identity>(who).to_json());
        }
        if (site_) {
            // A protected page without a live card session (by the path
            // asked for, or by the file it resolves to): back to the site's
            // front page, where the user can log in.
            auto found = site_->locate(target);
            bool guarded = site_->is_protected(target) || (found && found->is_protected);
            if (guarded &&
                std::holds_alternative<ValidationCode>(identity(session_cookie(req), now))) {
                HttpResponse res{http::status::see_other, req.version()};
                res.set(http::field::location, "/");
                res.set(http::field::cache_control, "no-store");
                res.keep_alive(req.keep_alive());
                res.prepare_payload();
                return res;
            }
            if (auto file = found ? site_->read(*found) : std::nullopt)
                return reply(req, http::status::ok, file->body, file->content_type.c_str());
        }
        return http_error(req, http::status::not_found, registry::HttpErrorCode::NotFound);
    }

    if (req.method() != http::verb::post || !target.starts_with("/cardbound/"))
        return http_error(req, http::status::not_found, registry::HttpErrorCode::NotFound);
    // State changes only from the site itself.
    if (std::string(req[http::field::origin]) != rp_.config().origin)
        return error_reply(req, http::status::forbidden, code_name(ValidationCode::OriginMismatch));
    json body = json::parse(req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object())
        return http_error(req, http::status::bad_request, registry::HttpErrorCode::BadRequest);
    auto str = [&](const char *k) -> std::string {
        auto it = body.find(k);
        return it != body.end() && it->is_string() ? it->get<std::string>() : "";
    };
    auto obj = [&](const char *k) -> json {
        auto it = body.find(k);
        return it != body.end() ? *it : json();
    };
    auto cookie = session_cookie(req);

    try {
        if (target == "/cardbound/challenge")
            return json_reply(req, http::status::ok,
                              rp_.challenge(str("hostNonce"), now).to_json());
        if (target == "/cardbound/login") {
            // One session per site and browser: a browser with a live session
            // joins it (GET /cardbound/session) instead of logging in again,
            // so a second login can never leave the first without its cookie
            // and log the user out while the card is in. An unconfirmed one
            // (an abandoned login) is simply replaced.
            if (cookie) {
                auto found = live_session(cookie, now);
                if (std::holds_alternative<Session>(found))
                    return error_reply(req, http::status::conflict,
                                       code_name(ValidationCode::SessionExists));
                if (std::get<ValidationCode>(found) == ValidationCode::NotConfirmed)
                    rp_.logout(*cookie);
            }
            try {
                auto login = rp_.login(obj("token"), str("serverNonce"), rp_.config().origin, now);
                metrics_.logins_ok++;
                auto res =
                    json_reply(req, http::status::ok, {{"receipt", login.receipt.to_json()}});
                set_cookie(res, login.session.id);
                return res;
            } catch (const ValidationError &) {
                metrics_.logins_refused++;
                throw;
            }
        }
        if (!cookie)
            return error_reply(req, http::status::unauthorized,
                               code_name(ValidationCode::SessionUnknown));
        if (target == "/cardbound/confirm") {
            rp_.confirm(*cookie, obj("proof"), now);
            metrics_.confirms++;
            Session s = rp_.session(*cookie, now);
            return json_reply(req, http::status::ok,
                              {{"identity", s.identity.to_json()},
                               {"presenceInterval", rp_.config().presence_interval}});
        }
        if (target == "/cardbound/presence/challenge")
            return json_reply(req, http::status::ok,
                              rp_.presence_challenge(*cookie, now).to_json());
        if (target == "/cardbound/presence") {
            try {
                rp_.presence(*cookie, obj("proof"), now);
            } catch (const ValidationError &e) {
                // A bad proof ends the session: presence must be proven, not tried.
                metrics_.presence_refused++;
                rp_.logout(*cookie);
                // A late session is announced below, like on every endpoint.
                if (e.code != ValidationCode::PresenceLate)
                    hub_.session_ended(*cookie,
                                       std::string(registry::end_reason::kPresenceRefused));
                throw;
            }
            metrics_.presence_ok++;
            return reply(req, http::status::no_content, "");
        }
        if (target == "/cardbound/logout") {
            // Why, for the other tabs: the user's own logout, or the extension
            // logging the site out because the card left its reader.
            std::string reason = body.contains("reason")
                                     ? str("reason")
                                     : std::string(registry::end_reason::kLogout);
            if (reason != registry::end_reason::kLogout &&
                reason != registry::end_reason::kCardRemoved)
                return http_error(req, http::status::bad_request,
                                  registry::HttpErrorCode::BadRequest);
            rp_.logout(*cookie);
            metrics_.logouts++;
            hub_.session_ended(*cookie, reason);
            auto res = reply(req, http::status::no_content, "");
            set_cookie(res, "", true);
            return res;
        }
    } catch (const ValidationError &e) {
        if (e.code == ValidationCode::PresenceLate && cookie)
            hub_.session_ended(*cookie, std::string(registry::end_reason::kPresenceLate));
        return error_reply(req, http::status::unauthorized, code_name(e.code));
    }
    return http_error(req, http::status::not_found, registry::HttpErrorCode::NotFound);
}

} // namespace cardbound::server

// The relying party's HTTP API (docs/protocol.md section 6) over Boost.Beast
// messages. Transport-free, so tests can call it directly; the listener
// feeds it and handles the event stream itself (http/event_stream.h).
#pragma once

#include "http/log_throttle.h"
#include "http/metrics.h"
#include "session/relying_party.h"
#include "session/transactions.h"

#include <atomic>
#include <boost/beast/http.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace cardbound::server
{

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// A file the server hands out as is (the demo page, the JavaScript API).
struct StaticFile {
    std::string body;
    std::string content_type;
};
using StaticFiles = std::map<std::string, StaticFile, std::less<>>; // by request path

class RateLimiter;
class SiteFiles;

class Router
{
  public:
    static constexpr const char *kCookie = "__Host-cardbound";

    // `site`, when given, serves the site's own files after the endpoints
    // and `files` (see site_files.h); `limiter`, when given, limits the
    // endpoints anyone may call without a session (challenge, login) per
    // client address. Both must outlive the router.
    Router(RelyingParty &rp, Metrics &metrics, std::function<std::time_t()> now, StaticFiles files,
           const SiteFiles *site = nullptr, RateLimiter *limiter = nullptr);

    // A line a request on the log (info): off (the default), text, or JSON.
    enum class AccessLog { Off, Text, Json };
    void set_access_log(AccessLog format) { access_log_ = format; }
    // Whether what the server depends on answers, for /healthz: nothing when
    // it does, else why not (then 503). Bounded in time by the check itself
    // (a Redis PING within the client's timeouts). Set once, before requests
    // are served; unset, /healthz is 200 while the process serves.
    using HealthCheck = std::function<std::optional<std::string>()>;
    void set_health_check(HealthCheck check) { health_ = std::move(check); }
    // Transaction confirmation (POST /cardbound/transaction/challenge and
    // /cardbound/transaction); unset, those endpoints answer 404. Set once,
    // before requests are served; must outlive the router.
    void set_transactions(Transactions &transactions) { transactions_ = &transactions; }

    // Safe to call from several threads at once. HEAD is answered like GET
    // without the body. `client`: the peer's address, for per-client limits.
    HttpResponse handle(const HttpRequest &req, const std::string &client = "");
    static bool is_event_stream(const HttpRequest &req);
    // A GET or HEAD of /healthz: answered even when the server is full.
    static bool is_health_check(const HttpRequest &req);
    // The answer to anything else on a connection beyond --max-connections:
    // 503 SERVER_BUSY with Retry-After, and the connection closes.
    static HttpResponse busy(const HttpRequest &req);
    // Requests whose handling may wait on the network (a login's OCSP and
    // CRL fetches), which the listener keeps off its I/O threads.
    static bool may_block(const HttpRequest &req);
    // A GET or HEAD of a built-in file (the demo page, /cardbound.js): the
    // only requests that never touch the store.
    bool is_builtin_file(const HttpRequest &req) const;
    // Whether a session by this id exists and has not ended (confirmed or not).
    // True when the store cannot say (StoreUnavailable): the event streams
    // ask, and a stream grants nothing, so it is not ended on a guess either;
    // a stream whose instance cannot hear session ends is ended by the hub
    // (EventHub::lose_track).
    bool session_exists(const std::string &session_id);
    static std::optional<std::string> session_cookie(const HttpRequest &req);

  private:
    // What a handler gets: the request, the time (read once), the session
    // cookie, and for a POST its body, a JSON object.
    struct Call {
        const HttpRequest &req;
        std::time_t now;
        std::optional<std::string> cookie;
        nlohmann::json body;
    };
    using Handler = HttpResponse (Router::*)(Call &);
    struct Endpoint {
        boost::beast::http::verb method;
        std::string_view path;
        Handler handler;
        bool rate_limited = false; // callable without a session: limited per client
    };
    // The endpoints of docs/protocol.md section 6, one row each.
    static const Endpoint kEndpoints[];

    HttpResponse route(const HttpRequest &req, const std::string &client);
    HttpResponse healthz(Call &c);
    HttpResponse metrics(Call &c);
    HttpResponse session(Call &c);
    HttpResponse me(Call &c);
    HttpResponse challenge(Call &c);
    HttpResponse login(Call &c);
    HttpResponse confirm(Call &c);
    HttpResponse presence_challenge(Call &c);
    HttpResponse presence(Call &c);
    HttpResponse logout(Call &c);
    HttpResponse transaction_challenge(Call &c);
    HttpResponse transaction(Call &c);
    // GET of anything else: the static files, then the site's own.
    HttpResponse file(const HttpRequest &req, std::time_t now);
    // The live, confirmed session of this cookie, or the validation code
    // that says why there is none.
    std::variant<Session, ValidationCode> live_session(const std::optional<std::string> &session_id,
                                                       std::time_t now);
    // The identity of a live, confirmed session, or the validation code that
    // says why there is none.
    std::variant<Identity, ValidationCode> identity(const std::optional<std::string> &session_id,
                                                    std::time_t now);

    RelyingParty &rp_;
    Metrics &metrics_;
    std::function<std::time_t()> now_;
    StaticFiles files_;
    const SiteFiles *site_;
    RateLimiter *limiter_;
    AccessLog access_log_ = AccessLog::Off;
    HealthCheck health_;
    Transactions *transactions_ = nullptr;
    // Refused logins are logged, at most one line a period under a flood.
    LogThrottle refused_log_{std::chrono::milliseconds(100)};
    // Refused transaction confirmations, likewise.
    LogThrottle transaction_log_{std::chrono::milliseconds(100)};
    // Requests refused because the store does not answer: every request
    // while Redis is down, so one line a second at most.
    LogThrottle store_log_{std::chrono::seconds(1)};
};

} // namespace cardbound::server

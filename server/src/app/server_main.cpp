// cardbound-server: the reference relying party. Serves the endpoints of
// docs/protocol.md section 6 over HTTPS, keeps sessions alive only while the
// card proves its presence, and tells every tab when a session ends.
#include "app/demo_files.h"
#include "cardbound/crypto/certificate.h"
#include "cardbound/protocol/registry.h"
#include "http/listener.h"
#include "http/log_throttle.h"
#include "http/rate_limiter.h"
#include "http/site_files.h"
#include "store/redis_connection.h"
#include "store/redis_nonce_store.h"
#include "store/redis_session_events.h"
#include "store/redis_session_store.h"
#include "store/redis_transaction_store.h"
#include "validation/checks/origin_check.h"
#include "validation/validator_setup.h"

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <thread>

using namespace cardbound;
using namespace cardbound::server;

namespace
{

// Threads for the requests that use a store across the network (Redis): as
// many requests at once as may wait on it, each up to the client's timeouts
// while it hangs, without holding up the I/O threads.
constexpr int kStoreThreads = 16;

// A decimal number and nothing else ("5s" and "70000x" are errors).
int whole_number(const std::string &text)
{
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        throw std::invalid_argument("'" + text + "' is not a whole number");
    return value;
}

void usage(std::ostream &out)
{
    out << "Usage: cardbound-server [--demo] [options]\n"
           "\n"
           "The Cardbound reference relying party over HTTPS (TLS 1.2+).\n"
           "\n"
           "  --listen ADDR:PORT     where to listen (default 127.0.0.1:8443; [::1]:PORT for "
           "IPv6;\n"
           "                         port 0 picks one)\n"
           "  --origin URL           the site's exact origin (default https://localhost:PORT)\n"
           "  --cert CHAIN.pem       TLS certificate chain; it also signs challenges\n"
           "  --key KEY.pem          its private key\n"
           "  --trust CA.pem         trust anchors for card certificates (repeatable)\n"
           "  --crl FILE|URL         a CRL (file or http:// URL; re-read at its nextUpdate)\n"
           "  --ocsp aia|off|URL     OCSP for card certificates (default aia)\n"
           "  --soft-fail            accept a card when its OCSP responder cannot answer\n"
           "  --presence-interval S  seconds between presence proofs (default 30)\n"
           "  --presence-grace S     extra seconds before a session ends (default 10)\n"
           "  --site DIR             serve the site's own files from DIR (instead of the demo\n"
           "                         page); /cardbound.js is always the JavaScript API\n"
           "  --protect PREFIX       paths under PREFIX (e.g. /private/) only for a live card\n"
           "                         session, else a redirect to / (repeatable; needs --site)\n"
           "  --demo                 use the test bench's PKI ($CARDBOUND_PKI_DIR) for all of it\n"
           "  --threads N            I/O threads serving all connections (default: one per core;\n"
           "                         logins, which may wait on OCSP or CRL fetches, run on 8\n"
           "                         threads of their own)\n"
           "  --max-connections N    open connections at most, event streams included (default\n"
           "                         10000, fewer if the file-descriptor limit is lower); beyond\n"
           "                         it 32 more answer /healthz (anything else 503 SERVER_BUSY\n"
           "                         with Retry-After) and the rest are closed as they arrive\n"
           "  --header-timeout S     seconds from connecting to the end of the first request's\n"
           "                         headers, TLS handshake included (default 10)\n"
           "  --body-timeout S       seconds for a request's body (default 10)\n"
           "  --idle-timeout S       seconds a kept-alive connection may wait for its next\n"
           "                         request's headers (default 30)\n"
           "  --rate-limit N         challenges and logins a second from one client address,\n"
           "                         bursts of 3N (default 20; 0: no limit); beyond, 429\n"
           "                         RATE_LIMITED with Retry-After\n"
           "  --access-log FORMAT    a log line a request: off (default), text or json\n"
           "  --store memory|URL     where nonces and sessions live: memory (default; this\n"
           "                         process only) or redis://HOST:PORT/DB, shared by every\n"
           "                         instance given the same URL (and --origin); when it does\n"
           "                         not answer, requests that need it get 503 STORE_UNAVAILABLE\n"
           "                         and /healthz 503\n"
           "  --config FILE          a JSON file with any of: listen, origin, cert, key, trust "
           "[],\n"
           "                         crl [], ocsp, softFail, presenceInterval, presenceGrace,\n"
           "                         site, protect [], threads, maxConnections, headerTimeout,\n"
           "                         bodyTimeout, idleTimeout, rateLimit, accessLog, store\n"
           "                         (options given on the command line win; a list option\n"
           "                         given there replaces the whole list)\n"
           "  --help                 this text\n"
           "\n"
           "Prints 'listening on https://ADDR:PORT' when ready; logs go to stderr. Raises its\n"
           "file-descriptor limit to the hard limit at start.\n";
}

// Every connection is a file descriptor: the soft limit (often 1024) would
// cap the server long before memory does. Returns the limit now in force.
rlim_t raise_descriptor_limit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 1024;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return limit.rlim_cur;
}

// The connection cap: as asked (`wanted`, with a warning if the descriptor
// limit cannot hold it), or the default lowered to what the limit holds,
// keeping some descriptors for the /healthz reserve, logs, CRL and OCSP
// fetches and site files.
int fit_connections(std::optional<int> wanted, int fallback)
{
    constexpr rlim_t kReserve = 64 + ListenerConfig{}.health_reserve;
    rlim_t limit = raise_descriptor_limit();
    rlim_t room = limit > 2 * kReserve ? limit - kReserve : limit / 2;
    if (wanted) {
        if (static_cast<rlim_t>(*wanted) > room)
            spdlog::warn("--max-connections {} is more than the file-descriptor limit ({}) "
                         "allows; connections beyond it will wait to be accepted",
                         *wanted, limit);
        return *wanted;
    }
    if (static_cast<rlim_t>(fallback) > room) {
        spdlog::info("at most {} connections (file-descriptor limit {})", room, limit);
        return static_cast<int>(room);
    }
    return fallback;
}

} // namespace

int main(int argc, char **argv)
{
    spdlog::set_default_logger(spdlog::stderr_logger_mt("cardbound-server"));
    std::string listen = "127.0.0.1:8443", origin, cert, key, ocsp = "aia", site;
    std::vector<std::string> trust, crls, protect;
    bool soft_fail = false, demo = false;
    int interval = 30, grace = 10;
    // Unset: the listener's defaults.
    std::optional<int> threads, max_connections, header_timeout, body_timeout, idle_timeout;
    int rate_limit = 20;
    std::string access_log = "off";
    std::string store = "memory";
    // The configuration file first, so that command-line options win.
    for (int i = 1; i + 1 < argc; i++) {
        if (std::string(argv[i]) != "--config")
            continue;
        std::ifstream in(argv[i + 1]);
        nlohmann::json c = nlohmann::json::parse(in, nullptr, false);
        if (!in || c.is_discarded() || !c.is_object()) {
            std::cerr << "cardbound-server: " << argv[i + 1] << " is not a JSON object\n";
            return 2;
        }
        try {
            for (const auto &[k, v] : c.items()) {
                if (k == "listen")
                    listen = v.get<std::string>();
                else if (k == "origin")
                    origin = v.get<std::string>();
                else if (k == "cert")
                    cert = v.get<std::string>();
                else if (k == "key")
                    key = v.get<std::string>();
                else if (k == "trust")
                    trust = v.get<std::vector<std::string>>();
                else if (k == "crl")
                    crls = v.get<std::vector<std::string>>();
                else if (k == "ocsp")
                    ocsp = v.get<std::string>();
                else if (k == "softFail")
                    soft_fail = v.get<bool>();
                else if (k == "presenceInterval")
                    interval = v.get<int>();
                else if (k == "presenceGrace")
                    grace = v.get<int>();
                else if (k == "site")
                    site = v.get<std::string>();
                else if (k == "protect")
                    protect = v.get<std::vector<std::string>>();
                else if (k == "threads")
                    threads = v.get<int>();
                else if (k == "maxConnections")
                    max_connections = v.get<int>();
                else if (k == "headerTimeout")
                    header_timeout = v.get<int>();
                else if (k == "bodyTimeout")
                    body_timeout = v.get<int>();
                else if (k == "idleTimeout")
                    idle_timeout = v.get<int>();
                else if (k == "rateLimit")
                    rate_limit = v.get<int>();
                else if (k == "accessLog")
                    access_log = v.get<std::string>();
                else if (k == "store")
                    store = v.get<std::string>();
                else
                    throw std::runtime_error("unknown key '" + k + "'");
            }
        } catch (const std::exception &e) {
            std::cerr << "cardbound-server: " << argv[i + 1] << ": " << e.what() << "\n";
            return 2;
        }
    }
    // A list option on the command line replaces the file's list (its first
    // use clears it), as every other option replaces the file's value.
    bool cli_trust = false, cli_crl = false, cli_protect = false;
    auto add = [](std::vector<std::string> &list, bool &fresh, const std::string &v) {
        if (!fresh)
            list.clear();
        fresh = true;
        list.push_back(v);
    };
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(std::cout);
            return 0;
        }
        if (a == "--config") {
            if (++i >= argc) { // the file itself was read above
                std::cerr << "cardbound-server: --config needs a file\n";
                return 2;
            }
            continue;
        }
        if (a == "--soft-fail") {
            soft_fail = true;
            continue;
        }
        if (a == "--demo") {
            demo = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << "cardbound-server: " << a << " needs a value (or is unknown)\n";
            usage(std::cerr);
            return 2;
        }
        std::string v = argv[++i];
        try {
            if (a == "--listen")
                listen = v;
            else if (a == "--origin")
                origin = v;
            else if (a == "--cert")
                cert = v;
            else if (a == "--key")
                key = v;
            else if (a == "--trust")
                add(trust, cli_trust, v);
            else if (a == "--crl")
                add(crls, cli_crl, v);
            else if (a == "--ocsp")
                ocsp = v;
            else if (a == "--presence-interval")
                interval = whole_number(v);
            else if (a == "--presence-grace")
                grace = whole_number(v);
            else if (a == "--site")
                site = v;
            else if (a == "--protect")
                add(protect, cli_protect, v);
            else if (a == "--threads")
                threads = whole_number(v);
            else if (a == "--max-connections")
                max_connections = whole_number(v);
            else if (a == "--header-timeout")
                header_timeout = whole_number(v);
            else if (a == "--body-timeout")
                body_timeout = whole_number(v);
            else if (a == "--idle-timeout")
                idle_timeout = whole_number(v);
            else if (a == "--rate-limit")
                rate_limit = whole_number(v);
            else if (a == "--access-log")
                access_log = v;
            else if (a == "--store")
                store = v;
            else {
                std::cerr << "cardbound-server: unknown option " << a << "\n";
                usage(std::cerr);
                return 2;
            }
        } catch (const std::exception &) {
            std::cerr << "cardbound-server: bad value for " << a << "\n";
            return 2;
        }
    }
    if (demo) {
        const char *pki = std::getenv("CARDBOUND_PKI_DIR");
        if (!pki) {
            std::cerr
                << "cardbound-server: --demo needs the bench: eval \"$(tests/bench/bench up)\"\n";
            return 2;
        }
        std::string d = pki;
        if (cert.empty())
            cert = d + "/server-localhost-chain.pem";
        if (key.empty())
            key = d + "/server-localhost.key";
        if (trust.empty())
            trust = {d + "/ca-chain.pem"};
        if (crls.empty())
            crls = {d + "/intermediate-ca.crl.pem"};
    }
    // ADDR:PORT, with an IPv6 address in brackets ([::1]:8443) or bare (::1:8443).
    auto colon = listen.rfind(':');
    std::string address = colon == std::string::npos ? "" : listen.substr(0, colon);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']')
        address = address.substr(1, address.size() - 2);
    if (cert.empty() || key.empty() || trust.empty() || colon == std::string::npos ||
        interval < 1 || interval > 3600 || grace < 0 || grace > 600) {
        std::cerr << "cardbound-server: --cert, --key and --trust are needed (or --demo), "
                     "--listen is ADDR:PORT, the interval 1-3600 s and the grace 0-600 s\n";
        return 2;
    }
    // The token validator's own rule (docs/protocol.md §8), checked at start.
    if (!origin.empty() && !origin_problem(origin).empty()) {
        std::cerr << "cardbound-server: --origin must be the site's public origin as browsers "
                     "send it: https://host[:port], lowercase, no path, no trailing slash\n";
        return 2;
    }
    if (!protect.empty() && site.empty()) {
        std::cerr << "cardbound-server: --protect needs --site\n";
        return 2;
    }
    if (access_log != "off" && access_log != "text" && access_log != "json") {
        std::cerr << "cardbound-server: --access-log takes off, text or json\n";
        return 2;
    }
    if (!is_valid_ocsp_mode(ocsp)) {
        std::cerr << "cardbound-server: --ocsp takes aia, off or an http:// URL\n";
        return 2;
    }
    // memory, or a Redis URL whose parser says what is wrong with it.
    std::optional<RedisUrl> redis_url;
    if (store != "memory") {
        try {
            redis_url = RedisUrl::parse(store);
        } catch (const std::invalid_argument &e) {
            std::cerr << "cardbound-server: --store (memory or redis://HOST:PORT/DB): " << e.what()
                      << "\n";
            return 2;
        }
    }
    auto outside = [](const std::optional<int> &v, int low, int high) {
        return v && (*v < low || *v > high);
    };
    if (outside(threads, 1, 256) || outside(max_connections, 1, 10'000'000) ||
        outside(header_timeout, 1, 3600) || outside(body_timeout, 1, 3600) ||
        outside(idle_timeout, 1, 3600) || rate_limit < 0 || rate_limit > 1'000'000) {
        std::cerr << "cardbound-server: --threads is 1-256, --max-connections 1-10000000, the "
                     "timeouts 1-3600 s, --rate-limit 0-1000000\n";
        return 2;
    }

    try {
        ListenerConfig lc;
        lc.address = address;
        int port = whole_number(listen.substr(colon + 1));
        if (port < 0 || port > 65535)
            throw std::runtime_error("the port in --listen must be 0 to 65535");
        lc.port = static_cast<unsigned short>(port);
        lc.certificate_chain = cert;
        lc.private_key = key;
        lc.threads = threads.value_or(0);
        lc.max_connections = fit_connections(max_connections, lc.max_connections);
        // Requests that use a store across the network run on threads of
        // their own, never on the I/O threads: a Redis that hangs holds each
        // of them up to the client's timeouts.
        lc.store_threads = redis_url ? kStoreThreads : 0;
        if (header_timeout)
            lc.timeouts.header = std::chrono::seconds(*header_timeout);
        if (body_timeout)
            lc.timeouts.body = std::chrono::seconds(*body_timeout);
        if (idle_timeout)
            lc.timeouts.idle = std::chrono::seconds(*idle_timeout);

        ValidatorConfig vc = make_validator_config({trust, crls, ocsp, soft_fail});
        HttpsListener listener(lc);
        if (origin.empty())
            origin =
                "https://localhost" +
                (listener.port() == 443 ? std::string() : ":" + std::to_string(listener.port()));
        std::shared_ptr<SessionStore> sessions;
        std::shared_ptr<NonceStore> nonces;
        std::shared_ptr<TransactionStore> transaction_store;
        std::shared_ptr<RedisClient> redis;
        Metrics metrics;
        if (redis_url) {
            // A connection for every thread that may call the store at once
            // (the store threads, the login threads, the expiry sweep), so
            // that none waits for another's connection.
            RedisOptions ro;
            ro.connections =
                static_cast<std::size_t>(kStoreThreads) + HttpsListener::kBlockingThreads + 2;
            redis = std::make_shared<RedisClient>(*redis_url, ro);
            // Checked now for the operator's sake; a Redis that is down is
            // no reason not to start: every call connects again, so the
            // server recovers by itself when it is back.
            try {
                redis->ping();
                spdlog::info("store: {}", redis_url->to_string());
            } catch (const StoreUnavailable &e) {
                spdlog::warn("store: {} does not answer ({}); starting anyway: until it does, "
                             "requests that need it answer 503 STORE_UNAVAILABLE",
                             redis_url->to_string(), e.what());
            }
            sessions = std::make_shared<RedisSessionStore>(redis);
            metrics.redis_round_trips = [redis] { return redis->round_trips(); };
            nonces = std::make_shared<RedisNonceStore>(redis);
            // Shared too: a confirmation may reach another instance than
            // the one that asked.
            transaction_store = std::make_shared<RedisTransactionStore>(redis);
        } else {
            auto memory_nonces = std::make_shared<MemoryNonceStore>();
            metrics.nonces_dropped = [memory_nonces] { return memory_nonces->dropped(); };
            sessions = std::make_shared<MemorySessionStore>();
            nonces = memory_nonces;
            transaction_store = std::make_shared<MemoryTransactionStore>();
        }
        RelyingParty rp({origin, 120, interval, grace}, ServerIdentity::load(key, cert),
                        std::make_shared<TokenValidator>(std::move(vc)), nonces, sessions);
        Transactions transactions(rp, transaction_store);
        EventHub hub;
        // The relying party alone says when a session ended; the hub tells
        // that session's event streams. With Redis the end is also published
        // to the other instances, whose subscribers tell their hubs (this
        // one hears its own too: a no-op); until the subscription stands,
        // and whenever it drops, this instance keeps no stream open on
        // state it may not hear about (redis_session_events.h).
        std::unique_ptr<RedisSessionEvents> events;
        if (redis) {
            hub.lose_track();
            events = std::make_unique<RedisSessionEvents>(
                redis, RedisSessionEvents::Handlers{
                           [&hub](const std::string &key, const std::string &reason) {
                               hub.key_ended(key, reason);
                           },
                           [&hub] { hub.regain_track(); },
                           [&hub](const std::string &) { hub.lose_track(); }});
        }
        rp.on_session_end([&hub, &events](const std::string &key, std::string_view reason) {
            hub.key_ended(key, std::string(reason)); // this instance's streams at once
            if (events)
                events->publish(key, reason);
        });
        StaticFiles files = demo_files();
        std::optional<SiteFiles> site_files;
        if (!site.empty()) {
            site_files.emplace(site, protect);
            files.erase("/");
            files.erase("/index.html");
        }
        RateLimiter limiter({static_cast<double>(rate_limit), 3.0 * rate_limit});
        Router router(
            rp, metrics, [] { return std::time(nullptr); }, std::move(files),
            site_files ? &*site_files : nullptr, &limiter);
        router.set_transactions(transactions);
        if (redis)
            router.set_health_check([redis]() -> std::optional<std::string> {
                try {
                    redis->ping();
                    return std::nullopt;
                } catch (const StoreUnavailable &e) {
                    return std::string(e.what());
                }
            });
        router.set_access_log(access_log == "json"   ? Router::AccessLog::Json
                              : access_log == "text" ? Router::AccessLog::Text
                                                     : Router::AccessLog::Off);

        // Sessions that miss their presence deadline end even if nobody asks
        // (with Redis, each ended session is returned to one instance's
        // sweep). A store that does not answer is tried again next round.
        std::thread([&] {
            LogThrottle store_log(std::chrono::seconds(10));
            for (;;) {
                try {
                    metrics.sessions_ended_late += rp.expire(std::time(nullptr)).size();
                } catch (const StoreUnavailable &e) {
                    if (store_log.note())
                        spdlog::warn("expiry sweep: {}", e.what());
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(250));
            }
        }).detach();

        std::signal(SIGPIPE, SIG_IGN);
        std::string shown = address.find(':') == std::string::npos ? address : "[" + address + "]";
        std::cout << "listening on https://" << shown << ":" << listener.port() << " for " << origin
                  << std::endl;
        listener.run(router, hub, metrics);
    } catch (const std::exception &e) {
        std::cerr << "cardbound-server: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

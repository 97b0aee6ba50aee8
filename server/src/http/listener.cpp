#include "http/listener.h"
#include "cardbound/protocol/registry.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <thread>

namespace cardbound::server
{

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace
{

constexpr std::size_t kMaxHeader = 8 * 1024;
constexpr std::size_t kMaxBody = 64 * 1024;

void set_timeouts(tcp::socket &socket, int seconds)
{
    timeval tv{seconds, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Streams "session-ended" to one tab. Comments keep proxies from closing it.
// A cookie of no live session (ended, expired, from before a restart) gets
// "no-session" at once, and a stream whose session goes away without an
// event gets it at the next keep-alive, so no stream waits forever.
void serve_events(asio::ssl::stream<tcp::socket> &stream, const HttpRequest &req, EventHub &hub,
                  Router &router)
{
    auto id = Router::session_cookie(req);
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(false);
    http::response_serializer<http::empty_body> sr{res};
    http::write_header(stream, sr);
    auto send = [&](const std::string &text) { asio::write(stream, asio::buffer(text)); };
    auto ended = [&](const std::string &reason) {
        send("event: session-ended\ndata: {\"reason\":\"" + reason + "\"}\n\n");
    };
    if (!id || !router.session_exists(*id))
        return ended(std::string(registry::end_reason::kNoSession));
    send(": connected\n\n");
    for (;;) {
        if (auto reason = hub.wait_for_end(*id, std::chrono::seconds(10)))
            return ended(*reason);
        if (!router.session_exists(*id))
            return ended(std::string(registry::end_reason::kNoSession));
        send(": keep-alive\n\n"); // also finds out when the tab went away
    }
}

void serve_connection(tcp::socket socket, asio::ssl::context &tls, Router &router, EventHub &hub,
                      int timeout)
{
    try {
        set_timeouts(socket, timeout);
        asio::ssl::stream<tcp::socket> stream(std::move(socket), tls);
        stream.handshake(asio::ssl::stream_base::server);
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(kMaxHeader);
            parser.body_limit(kMaxBody);
            beast::error_code ec;
            http::read(stream, buffer, parser, ec);
            if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated)
                break;
            if (ec) {
                if (ec == http::error::body_limit || ec == http::error::header_limit) {
                    HttpResponse res{http::status::payload_too_large, 11};
                    res.set(http::field::connection, "close");
                    res.prepare_payload();
                    http::write(stream, res, ec);
                }
                break;
            }
            HttpRequest req = parser.release();
            if (Router::is_event_stream(req)) {
                serve_events(stream, req, hub, router);
                break;
            }
            HttpResponse res = router.handle(req);
            bool keep = res.keep_alive();
            http::write(stream, res, ec);
            if (ec || !keep)
                break;
        }
        beast::error_code ignored;
        stream.shutdown(ignored);
    } catch (const std::exception &e) {
        spdlog::debug("connection ended: {}", e.what());
    }
}

} // namespace

struct HttpsListener::State {
    ListenerConfig config;
    asio::io_context io;
    asio::ssl::context tls{asio::ssl::context::tls_server};
    tcp::acceptor acceptor{io};
    std::atomic<int> active{0};
};

HttpsListener::HttpsListener(const ListenerConfig &config) : state_(std::make_unique<State>())
{
    state_->config = config;
    auto &tls = state_->tls;
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    tls.use_certificate_chain_file(config.certificate_chain);
    tls.use_private_key_file(config.private_key, asio::ssl::context::pem);
    tcp::endpoint ep(asio::ip::make_address(config.address), config.port);
    state_->acceptor.open(ep.protocol());
    state_->acceptor.set_option(asio::socket_base::reuse_address(true));
    state_->acceptor.bind(ep);
    state_->acceptor.listen();
}

HttpsListener::~HttpsListener() = default;

unsigned short HttpsListener::port() const
{
    return state_->acceptor.local_endpoint().port();
}

void HttpsListener::run(Router &router, EventHub &hub)
{
    // The listener lives until the process ends, so connection threads may
    // keep references to it, the router and the hub.
    State &st = *state_;
    for (;;) {
        tcp::socket socket(st.io);
        beast::error_code ec;
        st.acceptor.accept(socket, ec);
        if (ec)
            continue;
        if (st.active >= st.config.max_connections) {
            spdlog::warn("connection refused: {} connections open", st.active.load());
            continue; // the socket closes as it goes out of scope
        }
        st.active++;
        std::thread([&st, &router, &hub, s = std::move(socket)]() mutable {
            serve_connection(std::move(s), st.tls, router, hub, st.config.io_timeout_seconds);
            st.active--;
        }).detach();
    }
}

} // namespace cardbound::server

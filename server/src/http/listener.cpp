#include "http/listener.h"
#include "http/connection.h"
#include "http/log_throttle.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cerrno>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <thread>
#include <vector>

namespace cardbound::server
{

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace
{

// Accept failures that last until something else closes a descriptor or
// frees memory: retrying at once would spin a core.
bool out_of_resources(const beast::error_code &ec)
{
    return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
           ec == asio::error::no_memory ||
           (ec.category() == asio::error::get_system_category() && ec.value() == ENFILE);
}

constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
constexpr auto kLogPeriod = std::chrono::seconds(10);

} // namespace

struct HttpsListener::State {
    ListenerConfig config;
    asio::io_context io;
    asio::ssl::context tls{asio::ssl::context::tls_server};
    tcp::acceptor acceptor{io};
    asio::steady_timer backoff{io};
    asio::thread_pool blocking{kBlockingThreads};
    std::unique_ptr<asio::thread_pool> store; // with store_threads only
    LogThrottle refused_log{kLogPeriod}, accept_error_log{kLogPeriod};
    std::unique_ptr<ServerContext> context;

    void accept();
    void on_accept(beast::error_code ec, tcp::socket socket);
};

HttpsListener::HttpsListener(const ListenerConfig &config) : state_(std::make_unique<State>())
{
    state_->config = config;
    auto &tls = state_->tls;
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    // An event stream reads (to notice a closed tab) while it writes; a
    // renegotiation would make a write read too. No client of ours needs it.
    SSL_CTX_set_options(tls.native_handle(), SSL_OP_NO_RENEGOTIATION);
    // The record-buffer modes (released while a connection waits) are set
    // on each connection's SSL object by TlsStream, which relies on them.
    tls.use_certificate_chain_file(config.certificate_chain);
    tls.use_private_key_file(config.private_key, asio::ssl::context::pem);
    tcp::endpoint ep(asio::ip::make_address(config.address), config.port);
    state_->acceptor.open(ep.protocol());
    state_->acceptor.set_option(asio::socket_base::reuse_address(true));
    state_->acceptor.bind(ep);
    state_->acceptor.listen(asio::socket_base::max_listen_connections);
}

HttpsListener::~HttpsListener() = default;

unsigned short HttpsListener::port() const
{
    return state_->acceptor.local_endpoint().port();
}

void HttpsListener::State::accept()
{
    // Each connection gets a strand: its handlers never run at once, while
    // different connections run on all the threads.
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
        on_accept(ec, std::move(socket));
    });
}

void HttpsListener::State::on_accept(beast::error_code ec, tcp::socket socket)
{
    if (ec) {
        bool wait = out_of_resources(ec);
        if (auto n = accept_error_log.note())
            spdlog::warn("accepting connections fails: {} ({} times in {} s){}", ec.message(), n,
                         kLogPeriod.count(), wait ? "; retrying every 100 ms" : "");
        if (!wait)
            return accept();
        backoff.expires_after(kAcceptBackoff);
        backoff.async_wait([this](beast::error_code) { accept(); });
        return;
    }
    Metrics &metrics = context->metrics;
    auto open = metrics.open_connections.load();
    auto kind = Connection::Kind::Normal;
    if (open >= config.max_connections) {
        metrics.connections_refused++;
        if (auto n = refused_log.note())
            spdlog::warn("{} connections refused in {} s: {} connections open (--max-connections)",
                         n, kLogPeriod.count(), open);
        // Closed at once (as the socket goes): the cheapest answer.
        if (open >= config.max_connections + config.health_reserve)
            return accept();
        kind = Connection::Kind::Reserve;
    }
    // Small responses go out at once instead of waiting for an ACK (Nagle
    // with delayed ACKs costs a new connection about 40 ms).
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<Connection>(std::move(socket), tls, *context, ConnectionSlot(metrics), kind)
        ->start();
    accept();
}

void HttpsListener::run(Router &router, EventHub &hub, Metrics &metrics)
{
    State &st = *state_;
    if (st.config.store_threads > 0)
        st.store = std::make_unique<asio::thread_pool>(st.config.store_threads);
    st.context.reset(
        new ServerContext{router, hub, metrics, st.config.timeouts, st.blocking, st.store.get()});
    st.accept();
    int threads = st.config.threads > 0 ? st.config.threads
                                        : std::max(1u, std::thread::hardware_concurrency());
    auto serve = [&st] {
        // A handler that throws (none should) ends its own connection, not
        // the server: the other connections' handlers stay queued.
        for (;;) {
            try {
                st.io.run();
                return;
            } catch (const std::exception &e) {
                spdlog::error("unexpected error while serving: {}", e.what());
            }
        }
    };
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; i++)
        pool.emplace_back(serve);
    serve();
    for (auto &t : pool)
        t.join();
}

} // namespace cardbound::server

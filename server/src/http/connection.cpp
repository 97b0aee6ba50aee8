#include "http/connection.h"
#include "http/event_stream.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <spdlog/spdlog.h>

namespace cardbound::server
{

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace
{

constexpr std::size_t kMaxHeader = 8 * 1024;
constexpr std::size_t kMaxBody = 64 * 1024;
// A reserve connection's one request must come at once: the reserve is small.
constexpr auto kReserveDeadline = std::chrono::seconds(2);

// The ends of a connection that need no log line: the client went away, or
// ran out of time.
bool quiet_end(beast::error_code ec)
{
    return ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated ||
           ec == beast::error::timeout || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::operation_aborted;
}

} // namespace

Connection::Connection(asio::ip::tcp::socket socket, asio::ssl::context &tls,
                       ServerContext &context, ConnectionSlot slot, Kind kind)
    : stream_(std::move(socket), tls), context_(context), slot_(std::move(slot)), kind_(kind)
{
    beast::error_code ec;
    auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec)
        client_ = peer.address().to_string();
}

void Connection::start()
{
    // One deadline for the handshake and the first request's headers.
    beast::get_lowest_layer(stream_).expires_after(
        kind_ == Kind::Reserve
            ? std::min<std::chrono::seconds>(kReserveDeadline, context_.timeouts.header)
            : context_.timeouts.header);
    stream_.async_handshake(
        [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
}

void Connection::on_handshake(beast::error_code ec)
{
    if (ec) {
        spdlog::debug("TLS handshake failed: {}", ec.message());
        return; // the socket closes with the connection
    }
    read_request(std::chrono::seconds(0));
}

// deadline: zero keeps the one running (the first request's, which began
// at the accept).
void Connection::read_request(std::chrono::seconds deadline)
{
    if (deadline.count() > 0)
        beast::get_lowest_layer(stream_).expires_after(deadline);
    parser_.emplace();
    parser_->header_limit(kMaxHeader);
    parser_->body_limit(kMaxBody);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Connection::on_header(beast::error_code ec)
{
    // A Content-Length over the body limit is refused as soon as the
    // headers say so, before any of the body is read.
    if (ec == http::error::header_limit || ec == http::error::body_limit)
        return refuse_too_large();
    if (ec) {
        if (!quiet_end(ec))
            spdlog::debug("reading a request failed: {}", ec.message());
        return;
    }
    if (parser_->is_done())
        return on_body({});
    beast::get_lowest_layer(stream_).expires_after(context_.timeouts.body);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void Connection::on_body(beast::error_code ec)
{
    if (ec == http::error::body_limit)
        return refuse_too_large();
    if (ec) {
        if (!quiet_end(ec))
            spdlog::debug("reading a request body failed: {}", ec.message());
        return;
    }
    HttpRequest req = parser_->release();
    beast::get_lowest_layer(stream_).expires_never();
    if (kind_ == Kind::Reserve && !Router::is_health_check(req)) {
        HttpResponse res = Router::busy(req);
        res.keep_alive(false);
        return respond(std::move(res));
    }
    if (kind_ != Kind::Reserve && Router::is_event_stream(req)) {
        std::make_shared<EventStream>(std::move(stream_), context_, std::move(slot_))->start(req);
        return;
    }
    // A request that may wait (on OCSP, CRL or the store) is handled on a
    // pool of its own, and the answer comes back to this connection's strand,
    // so that no wait ever stalls an I/O thread and the connections on it.
    asio::thread_pool *pool = Router::may_block(req)                 ? &context_.blocking
                              : context_.router.is_builtin_file(req) ? nullptr
                                                                     : context_.store;
    run_then(
        pool, stream_.get_executor(),
        [self = shared_from_this(), req = std::move(req)] {
            return self->context_.router.handle(req, self->client_);
        },
        [self = shared_from_this()](HttpResponse res) {
            if (self->kind_ == Kind::Reserve)
                res.keep_alive(false);
            self->respond(std::move(res));
        });
}

void Connection::respond(HttpResponse res)
{
    response_ = std::move(res);
    bool keep_alive = response_.keep_alive();
    beast::get_lowest_layer(stream_).expires_after(context_.timeouts.write);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                          self->on_write(ec, keep_alive);
                      });
}

void Connection::on_write(beast::error_code ec, bool keep_alive)
{
    if (ec)
        return;
    if (!keep_alive)
        return shut_down();
    response_ = {};
    read_request(context_.timeouts.idle);
}

void Connection::refuse_too_large()
{
    HttpResponse res{http::status::payload_too_large, 11};
    res.set(http::field::connection, "close");
    res.prepare_payload();
    respond(std::move(res));
}

void Connection::shut_down()
{
    beast::get_lowest_layer(stream_).expires_after(context_.timeouts.shutdown);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        beast::get_lowest_layer(self->stream_).close();
    });
}

} // namespace cardbound::server

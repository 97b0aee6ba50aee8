#include "http/event_stream.h"
#include "cardbound/protocol/registry.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

namespace cardbound::server
{

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace
{

// The hub's kLostTrack is no end: the stream closes with a comment only,
// and the tab's EventSource reconnects and asks again (store/redis_session_events.h).
std::string session_ended(const std::string &reason)
{
    if (reason == EventHub::kLostTrack)
        return ": reconnect\n\n";
    return "event: session-ended\ndata: " + nlohmann::json{{"reason", reason}}.dump() + "\n\n";
}

} // namespace

EventStream::EventStream(TlsStream stream, ServerContext &context, ConnectionSlot slot)
    : stream_(std::move(stream)), context_(context), slot_(std::move(slot)),
      tick_(stream_.get_executor())
{
    context_.metrics.open_event_streams++;
}

EventStream::~EventStream()
{
    stop_listening();
    context_.metrics.open_event_streams--;
}

void EventStream::start(const HttpRequest &req)
{
    header_ = {http::status::ok, req.version()};
    header_.set(http::field::content_type, "text/event-stream");
    header_.set(http::field::cache_control, "no-store");
    header_.keep_alive(false);

    auto id = Router::session_cookie(req);
    if (!id)
        return open(std::nullopt);
    // Asking the store may wait on it: not on an I/O thread.
    run_then(
        context_.store, stream_.get_executor(),
        [&router = context_.router, id = *id] { return router.session_exists(id); },
        [self = shared_from_this(), id = *id](bool exists) {
            self->open(exists ? std::optional(id) : std::nullopt);
        });
}

void EventStream::open(std::optional<std::string> live_session)
{
    if (!live_session) {
        ended_ = std::string(registry::end_reason::kNoSession);
    } else {
        session_id_ = std::move(*live_session);
        // The hub may call from any thread; the news is handled on this
        // stream's strand, if the stream is still there.
        auto wake = [weak = weak_from_this(),
                     executor = stream_.get_executor()](const std::string &reason) {
            asio::post(executor, [weak, reason] {
                if (auto self = weak.lock())
                    self->on_session_end(reason);
            });
        };
        auto waiting = context_.hub.wait_for_end(session_id_, std::move(wake));
        if (auto *reason = std::get_if<std::string>(&waiting))
            ended_ = *reason;
        else
            ticket_ = std::get<EventHub::Ticket>(waiting);
    }

    // Reads wait for ever (the stream is meant to stay open); each write
    // has its deadline.
    beast::get_lowest_layer(stream_).expires_never();
    watch_client();
    writing_ = true;
    beast::get_lowest_layer(stream_).expires_after(context_.timeouts.write);
    serializer_.emplace(header_);
    http::async_write_header(stream_, *serializer_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 self->on_header_written(ec);
                             });
}

void EventStream::on_header_written(beast::error_code ec)
{
    writing_ = false;
    if (ec || state_ != State::Open)
        return close();
    if (ended_)
        return send(session_ended(*ended_), true);
    send(": connected\n\n", false);
}

// A tab sends nothing on its event stream: whatever ends this read (the tab
// closing, or bytes it should not send) ends the stream, at once rather
// than at the next keep-alive.
void EventStream::watch_client()
{
    stream_.async_read_some(asio::buffer(in_),
                            [self = shared_from_this()](beast::error_code, std::size_t) {
                                if (self->state_ == State::Finishing)
                                    self->shut_down(); // cancelled by on_sent, to say goodbye
                                else
                                    self->close();
                            });
}

void EventStream::on_session_end(std::string reason)
{
    ticket_.reset(); // the hub let go of it
    if (state_ != State::Open || ended_)
        return;
    ended_ = std::move(reason);
    // The timer's handler sends it (a write under way sends it next).
    if (!writing_)
        tick_.cancel();
}

void EventStream::wait_tick()
{
    tick_.expires_after(context_.timeouts.keep_alive);
    tick_.async_wait([self = shared_from_this()](beast::error_code ec) { self->on_tick(ec); });
}

void EventStream::on_tick(beast::error_code ec)
{
    if (state_ != State::Open || writing_)
        return;
    if (ended_)
        return send(session_ended(*ended_), true);
    if (ec)
        return;
    // A session can go without an event (a replaced unconfirmed login):
    // no stream waits for ever. Asking the store may wait on it: not on an
    // I/O thread. Meanwhile nothing is written, and an end that arrives is
    // sent after.
    run_then(
        context_.store, stream_.get_executor(),
        [&router = context_.router, id = session_id_] { return router.session_exists(id); },
        [self = shared_from_this()](bool exists) { self->on_checked(exists); });
}

void EventStream::on_checked(bool exists)
{
    if (state_ != State::Open)
        return;
    if (ended_)
        return send(session_ended(*ended_), true);
    if (!exists)
        return send(session_ended(std::string(registry::end_reason::kNoSession)), true);
    send(": keep-alive\n\n", false); // also finds out when the tab went away
}

void EventStream::send(std::string text, bool last)
{
    out_ = std::move(text);
    writing_ = true;
    beast::get_lowest_layer(stream_).expires_after(context_.timeouts.write);
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this(), last](beast::error_code ec, std::size_t) {
                          self->on_sent(ec, last);
                      });
}

void EventStream::on_sent(beast::error_code ec, bool last)
{
    writing_ = false;
    if (ec || state_ != State::Open)
        return close();
    if (last) {
        state_ = State::Finishing;
        stop_listening();
        // The pending read must end before the TLS shutdown may read; its
        // handler then shuts down.
        beast::get_lowest_layer(stream_).cancel();
        return;
    }
    if (ended_)
        return send(session_ended(*ended_), true);
    wait_tick();
}

void EventStream::shut_down()
{
    beast::get_lowest_layer(stream_).expires_after(context_.timeouts.shutdown);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        beast::get_lowest_layer(self->stream_).close();
    });
}

void EventStream::close()
{
    state_ = State::Closed;
    stop_listening();
    beast::get_lowest_layer(stream_).close();
}

void EventStream::stop_listening()
{
    if (ticket_)
        context_.hub.cancel(session_id_, *ticket_);
    ticket_.reset();
    tick_.cancel();
}

} // namespace cardbound::server

// GET /cardbound/events: tells one tab when its session ends, as
// "event: session-ended" with the reason, then closes. A cookie of no live
// session (ended, expired, from before a restart) gets "no-session" at
// once. While it waits the stream holds no thread: it is a callback in the
// EventHub under its session's id, a timer for the keep-alive comment (which
// keeps proxies from closing the stream, and notices a session that went
// away without an event), and a read that notices at once when the tab
// closes.
#pragma once

#include "http/server_context.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <string>

namespace cardbound::server
{

class EventStream : public std::enable_shared_from_this<EventStream>
{
  public:
    EventStream(TlsStream stream, ServerContext &context, ConnectionSlot slot);
    ~EventStream();
    void start(const HttpRequest &req);

  private:
    // Once the store said whether the cookie's session lives (nullopt: no).
    void open(std::optional<std::string> live_session);
    void on_header_written(boost::beast::error_code ec);
    void watch_client();
    void on_session_end(std::string reason);
    void wait_tick();
    void on_tick(boost::beast::error_code ec);
    void on_checked(bool exists);
    void send(std::string text, bool last);
    void on_sent(boost::beast::error_code ec, bool last);
    void shut_down();
    void close();
    void stop_listening();

    TlsStream stream_;
    ServerContext &context_;
    ConnectionSlot slot_;
    boost::asio::steady_timer tick_;
    std::string session_id_;
    std::optional<EventHub::Ticket> ticket_; // while registered in the hub
    std::optional<std::string> ended_;       // the reason, once the session ended
    boost::beast::http::response<boost::beast::http::empty_body> header_;
    std::optional<boost::beast::http::response_serializer<boost::beast::http::empty_body>>
        serializer_;
    std::string out_; // the message being written
    char in_[256];    // what the client sends (nothing, normally)
    bool writing_ = false;
    // Open; saying goodbye (the last message went out: the TLS shutdown
    // follows); closed (the client left, or a write failed).
    enum class State { Open, Finishing, Closed } state_ = State::Open;
};

} // namespace cardbound::server

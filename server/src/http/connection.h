// One client connection: the TLS handshake, then requests read with
// Boost.Beast and answered by the router, one after another while the
// client keeps the connection alive. Asynchronous: a connection holds no
// thread while it waits, only its socket and buffers. An event stream
// request hands the connection over to an EventStream.
#pragma once

#include "http/server_context.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <string>

namespace cardbound::server
{

class Connection : public std::enable_shared_from_this<Connection>
{
  public:
    // A connection beyond --max-connections, from the small reserve kept so
    // that the server can still say it is alive: it answers one request,
    // /healthz as usual and anything else 503 SERVER_BUSY, then closes.
    enum class Kind { Normal, Reserve };

    // `socket` runs on a strand of its own: its handlers never run at once.
    Connection(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context &tls,
               ServerContext &context, ConnectionSlot slot, Kind kind = Kind::Normal);
    void start();

  private:
    void on_handshake(boost::beast::error_code ec);
    void read_request(std::chrono::seconds deadline);
    void on_header(boost::beast::error_code ec);
    void on_body(boost::beast::error_code ec);
    void respond(HttpResponse res);
    void on_write(boost::beast::error_code ec, bool keep_alive);
    void refuse_too_large();
    void shut_down();

    TlsStream stream_;
    std::string client_; // the peer's address, for per-client limits
    ServerContext &context_;
    ConnectionSlot slot_;
    Kind kind_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    HttpResponse response_; // kept here while it is written
};

} // namespace cardbound::server

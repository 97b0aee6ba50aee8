#include "validation/http_post.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <regex>
#include <stdexcept>

namespace cardbound::server
{

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace
{

HttpResult exchange(http::verb method, const std::string &url, const std::string &content_type,
                    const std::string &body, std::chrono::milliseconds timeout,
                    std::size_t max_body)
{
    static const std::regex form(
        R"(^http://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(/[^\s]*)?$)");
    std::smatch m;
    if (!std::regex_match(url, m, form))
        throw std::runtime_error("not an http:// URL: " + url);
    std::string host = m[1].str();
    std::string port = m[2].matched ? m[2].str() : "80";
    std::string target = m[3].matched ? m[3].str() : "/";
    std::string connect_host = host.front() == '[' ? host.substr(1, host.size() - 2) : host;

    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    HttpResult result;
    beast::error_code failure;

    // One deadline for the whole exchange, run on the io_context.
    stream.expires_after(timeout);
    resolver.async_resolve(
        connect_host, port, [&](beast::error_code ec, tcp::resolver::results_type r) {
            if (ec)
                return void(failure = ec);
            stream.async_connect(r, [&](beast::error_code ec2, const tcp::endpoint &) {
                if (ec2)
                    return void(failure = ec2);
                auto req = std::make_shared<http::request<http::string_body>>(method, target, 11);
                req->set(http::field::host, host);
                if (method == http::verb::post) {
                    req->set(http::field::content_type, content_type);
                    req->body() = body;
                }
                req->set(http::field::user_agent, "cardbound-server");
                req->prepare_payload();
                http::async_write(stream, *req, [&, req](beast::error_code ec3, std::size_t) {
                    if (ec3)
                        return void(failure = ec3);
                    auto buffer = std::make_shared<beast::flat_buffer>();
                    auto parser = std::make_shared<http::response_parser<http::string_body>>();
                    parser->body_limit(max_body);
                    http::async_read(stream, *buffer, *parser,
                                     [&, buffer, parser](beast::error_code ec4, std::size_t) {
                                         if (ec4)
                                             return void(failure = ec4);
                                         auto &res = parser->get();
                                         result.status = static_cast<int>(res.result_int());
                                         result.content_type =
                                             std::string(res[http::field::content_type]);
                                         result.body = std::move(res.body());
                                     });
                });
            });
        });
    // The resolver has no expiry of its own: bound the whole run.
    io.run_for(timeout + std::chrono::milliseconds(100));
    if (!io.stopped())
        throw std::runtime_error("no answer from " + url + " in time");
    if (failure)
        throw std::runtime_error(url + ": " + failure.message());
    return result;
}

} // namespace

HttpResult http_post(const std::string &url, const std::string &content_type,
                     const std::string &body, std::chrono::milliseconds timeout,
                     std::size_t max_body)
{
    return exchange(http::verb::post, url, content_type, body, timeout, max_body);
}

HttpResult http_get(const std::string &url, std::chrono::milliseconds timeout, std::size_t max_body)
{
    return exchange(http::verb::get, url, "", "", timeout, max_body);
}

} // namespace cardbound::server

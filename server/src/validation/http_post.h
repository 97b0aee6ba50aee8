// A bounded HTTP/1.1 POST over plain TCP through Boost.Beast: what OCSP and
// CRL fetching need (their data is signed, so no TLS). Never waits longer
// than the timeout, never reads more than max_body bytes.
#pragma once

#include <chrono>
#include <string>

namespace cardbound::server
{

struct HttpResult {
    int status = 0;
    std::string content_type;
    std::string body;
};

// Throws std::runtime_error on a bad URL (only http://host[:port]/path),
// a network failure, a timeout or an oversized answer.
HttpResult http_post(const std::string &url, const std::string &content_type,
                     const std::string &body, std::chrono::milliseconds timeout,
                     std::size_t max_body = 256 * 1024);
HttpResult http_get(const std::string &url, std::chrono::milliseconds timeout,
                    std::size_t max_body = 16 * 1024 * 1024);

} // namespace cardbound::server

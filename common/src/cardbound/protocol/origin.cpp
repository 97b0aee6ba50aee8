#include "cardbound/protocol/origin.h"

#include <arpa/inet.h>
#include <cstring>

namespace cardbound
{

namespace
{

bool is_dns_name(std::string_view host)
{
    if (host.empty() || host.size() > 253)
        return false;
    std::size_t label = 0;
    char prev = '.';
    for (char c : host) {
        if (c == '.') {
            if (label == 0 || prev == '-')
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
            if (label == 0 && c == '-')
                return false;
            if (++label > 63)
                return false;
        } else {
            return false;
        }
        prev = c;
    }
    return label > 0 && prev != '-';
}

bool is_ipv4(const std::string &host)
{
    in_addr a{};
    return inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool is_ipv6(const std::string &host)
{
    in6_addr a{};
    return inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

} // namespace

std::optional<Origin> parse_origin(std::string_view text)
{
    if (text.size() > 300)
        return std::nullopt;
    Origin o;
    std::string_view rest;
    if (text.starts_with("https://")) {
        o.scheme = "https";
        rest = text.substr(8);
    } else if (text.starts_with("http://")) {
        o.scheme = "http";
        rest = text.substr(7);
    } else {
        return std::nullopt;
    }
    std::string_view host = rest, port;
    if (rest.starts_with('[')) {
        auto close = rest.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        host = rest.substr(0, close + 1);
        std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':')
                return std::nullopt;
            port = after.substr(1);
            if (port.empty())
                return std::nullopt;
        }
        std::string inner(host.substr(1, host.size() - 2));
        if (!is_ipv6(inner))
            return std::nullopt;
        // Canonical IPv6 text as inet_ntop writes it.
        in6_addr a{};
        inet_pton(AF_INET6, inner.c_str(), &a);
        char canon[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &a, canon, sizeof canon);
        if (inner != canon)
            return std::nullopt;
    } else {
        auto colon = rest.find(':');
        if (colon != std::string_view::npos) {
            host = rest.substr(0, colon);
            port = rest.substr(colon + 1);
            if (port.empty())
                return std::nullopt;
        }
        if (!is_dns_name(host))
            return std::nullopt; // also refuses uppercase, '/', '?', '#', '@'
    }
    o.host = std::string(host);
    if (!port.empty()) {
        if (port.size() > 5 || port[0] == '0')
            return std::nullopt;
        int p = 0;
        for (char c : port) {
            if (c < '0' || c > '9')
                return std::nullopt;
            p = p * 10 + (c - '0');
        }
        if (p < 1 || p > 65535)
            return std::nullopt;
        if ((o.scheme == "https" && p == 443) || (o.scheme == "http" && p == 80))
            return std::nullopt; // the default port is never written out
        o.port = p;
    }
    return o;
}

std::string Origin::serialize() const
{
    std::string out = scheme + "://" + host;
    if (port != 0)
        out += ":" + std::to_string(port);
    return out;
}

std::string Origin::host_for_certificate() const
{
    if (!host.empty() && host.front() == '[')
        return host.substr(1, host.size() - 2);
    return host;
}

bool Origin::is_ip_literal() const
{
    return (!host.empty() && host.front() == '[') || is_ipv4(host);
}

bool Origin::is_localhost() const
{
    if (host == "localhost" || host == "[::1]")
        return true;
    return is_ipv4(host) && host.starts_with("127.");
}

} // namespace cardbound

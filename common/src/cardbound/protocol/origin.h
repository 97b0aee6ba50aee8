// Web origins ("https://example.org:8443") as the protocol accepts them:
// scheme, host and optional port, nothing else. Signed messages name origins
// and compare them byte for byte, so only the canonical spelling is valid.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cardbound
{

struct Origin {
    std::string scheme; // "https" or "http"
    std::string host;   // lowercase DNS name, IPv4 literal, or [IPv6] literal
    int port = 0;       // 0 when the default port of the scheme

    std::string serialize() const;
    // The host as certificate names carry it (without IPv6 brackets).
    std::string host_for_certificate() const;
    bool is_ip_literal() const;
    bool is_localhost() const; // localhost, 127.0.0.0/8 or [::1]
};

// Parses a canonical origin; nullopt for anything else (paths, queries,
// userinfo, uppercase hosts, default ports spelled out, other schemes...).
std::optional<Origin> parse_origin(std::string_view text);

} // namespace cardbound

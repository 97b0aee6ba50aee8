// Text encodings of binary data used on the wire: base64 (RFC 4648 section 4,
// padded), base64url (section 5, unpadded) and lowercase hex.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cardbound
{

using Bytes = std::vector<std::uint8_t>;

std::string base64_encode(std::span<const std::uint8_t> data);
std::string base64url_encode(std::span<const std::uint8_t> data);
std::string hex_encode(std::span<const std::uint8_t> data);

// Strict decoders: no whitespace, no missing or extra padding, canonical
// trailing bits. Anything else is std::nullopt. (OpenSSL's EVP_DecodeBlock
// skips whitespace and returns padding as zero bytes, so it cannot tell a
// canonical encoding from a tampered one; signed fields need that.)
std::optional<Bytes> base64_decode(std::string_view text);
std::optional<Bytes> base64url_decode(std::string_view text);

inline std::span<const std::uint8_t> as_bytes(std::string_view s)
{
    return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

// Cryptographically random bytes (OpenSSL's DRBG); throws on failure.
Bytes random_bytes(std::size_t count);

} // namespace cardbound

#include "messaging/frame.h"

#include <openssl/crypto.h>

#include <stdexcept>

namespace cardbound::host
{

FrameReader::FrameReader(ReadFn read, std::size_t max_size)
    : read_(std::move(read)), max_size_(max_size)
{
}

std::size_t FrameReader::read_fully(char *buf, std::size_t n)
{
    std::size_t got = 0;
    while (got < n) {
        std::ptrdiff_t r = read_(buf + got, n - got);
        if (r <= 0)
            break;
        got += static_cast<std::size_t>(r);
    }
    return got;
}

bool FrameReader::skip(std::size_t n)
{
    char scratch[16 * 1024];
    while (n > 0) {
        std::size_t chunk = n < sizeof scratch ? n : sizeof scratch;
        if (read_fully(scratch, chunk) != chunk) {
            OPENSSL_cleanse(scratch, sizeof scratch);
            return false;
        }
        n -= chunk;
    }
    // What was skipped may have held a PIN.
    OPENSSL_cleanse(scratch, sizeof scratch);
    return true;
}

Frame FrameReader::next()
{
    Frame f;
    unsigned char header[4];
    std::size_t got = read_fully(reinterpret_cast<char *>(header), sizeof header);
    if (got == 0) {
        f.kind = Frame::Kind::End;
        return f;
    }
    if (got < sizeof header) {
        f.kind = Frame::Kind::Truncated;
        return f;
    }
    f.declared_length =
        static_cast<std::uint32_t>(header[0]) | static_cast<std::uint32_t>(header[1]) << 8 |
        static_cast<std::uint32_t>(header[2]) << 16 | static_cast<std::uint32_t>(header[3]) << 24;
    if (f.declared_length > max_size_) {
        // Skip the body so that the next message is read from its start.
        f.kind = skip(f.declared_length) ? Frame::Kind::TooLarge : Frame::Kind::Truncated;
        return f;
    }
    f.body.resize(f.declared_length);
    if (read_fully(f.body.data(), f.declared_length) != f.declared_length) {
        OPENSSL_cleanse(f.body.data(), f.body.size());
        f.body.clear();
        f.kind = Frame::Kind::Truncated;
        return f;
    }
    f.kind = Frame::Kind::Message;
    return f;
}

std::string encode_frame(std::string_view json)
{
    if (json.size() > kMaxAnswerSize)
        throw std::length_error("message over the native messaging limit");
    auto n = static_cast<std::uint32_t>(json.size());
    std::string out;
    out.reserve(4 + json.size());
    out += static_cast<char>(n & 0xFF);
    out += static_cast<char>((n >> 8) & 0xFF);
    out += static_cast<char>((n >> 16) & 0xFF);
    out += static_cast<char>((n >> 24) & 0xFF);
    out += json;
    return out;
}

} // namespace cardbound::host

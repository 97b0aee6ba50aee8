// Native messaging framing: a 4-byte little-endian length, then that many
// bytes of UTF-8 JSON. The browser writes requests to our stdin and reads
// answers and events from our stdout.
#pragma once

#include "cardbound/protocol/registry.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace cardbound::host
{

// The largest request the host accepts. The biggest real one is a challenge
// with a certificate chain, a few KiB; anything near this is not ours.
inline constexpr std::size_t kMaxRequestSize = registry::kMaxRequestBytes;
// Chromium refuses messages from a host over 1 MiB.
inline constexpr std::size_t kMaxAnswerSize = registry::kMaxAnswerBytes;

struct Frame {
    enum class Kind {
        Message,   // body holds one complete message
        End,       // the browser closed our stdin between messages
        TooLarge,  // declared length over the limit; the body was skipped
        Truncated, // the stream ended inside a message (or inside a skip)
    };
    Kind kind = Kind::End;
    std::string body;
    std::uint32_t declared_length = 0;
};

class FrameReader
{
  public:
    // Reads up to n bytes into buf; returns the count, 0 at end of input,
    // negative on error. (read(2) on stdin, or a buffer in tests.)
    using ReadFn = std::function<std::ptrdiff_t(char *buf, std::size_t n)>;

    explicit FrameReader(ReadFn read, std::size_t max_size = kMaxRequestSize);
    Frame next();

  private:
    std::size_t read_fully(char *buf, std::size_t n);
    bool skip(std::size_t n);

    ReadFn read_;
    std::size_t max_size_;
};

// The frame for one message. Throws std::length_error over kMaxAnswerSize.
std::string encode_frame(std::string_view json);

} // namespace cardbound::host

#include "messaging/frame.h"

#include <algorithm>
#include <doctest/doctest.h>
#include <stdexcept>
#include <string>

using namespace cardbound::host;

namespace
{

// A reader over a fixed buffer, handing out at most `chunk` bytes per call
// (pipes deliver partial reads too).
struct BufferSource {
    std::string data;
    std::size_t pos = 0;
    std::size_t chunk = 1 << 20;
    std::ptrdiff_t operator()(char *buf, std::size_t n)
    {
        std::size_t take = std::min({n, chunk, data.size() - pos});
        std::copy_n(data.data() + pos, take, buf);
        pos += take;
        return static_cast<std::ptrdiff_t>(take);
    }
};

std::string le32(std::uint32_t n)
{
    return {static_cast<char>(n & 0xFF), static_cast<char>((n >> 8) & 0xFF),
            static_cast<char>((n >> 16) & 0xFF), static_cast<char>((n >> 24) & 0xFF)};
}

} // namespace

TEST_CASE("a frame is a 4-byte little-endian length and the JSON bytes")
{
    std::string f = encode_frame(R"({"a":1})");
    CHECK(f == std::string("\x07\x00\x00\x00", 4) + R"({"a":1})");
    std::string big(300, 'x');
    CHECK(encode_frame(big).substr(0, 4) == std::string("\x2c\x01\x00\x00", 4));
}

TEST_CASE("answers over 1 MiB are refused")
{
    CHECK_NOTHROW(encode_frame(std::string(kMaxAnswerSize, 'x')));
    CHECK_THROWS_AS(encode_frame(std::string(kMaxAnswerSize + 1, 'x')), std::length_error);
}

TEST_CASE("messages are read back whole, even from one-byte reads")
{
    BufferSource src{encode_frame("first") + encode_frame("second")};
    src.chunk = 1;
    FrameReader reader(std::ref(src));
    Frame a = reader.next();
    CHECK(a.kind == Frame::Kind::Message);
    CHECK(a.body == "first");
    Frame b = reader.next();
    CHECK(b.body == "second");
    CHECK(reader.next().kind == Frame::Kind::End);
}

TEST_CASE("an oversized message is skipped and the next one still arrives")
{
    std::string huge(kMaxRequestSize + 1, 'x');
    BufferSource src{le32(static_cast<std::uint32_t>(huge.size())) + huge + encode_frame("after")};
    FrameReader reader(std::ref(src));
    Frame f = reader.next();
    CHECK(f.kind == Frame::Kind::TooLarge);
    CHECK(f.declared_length == kMaxRequestSize + 1);
    Frame g = reader.next();
    CHECK(g.kind == Frame::Kind::Message);
    CHECK(g.body == "after");
}

TEST_CASE("a message of exactly the limit is accepted")
{
    std::string body(kMaxRequestSize, 'y');
    BufferSource src{le32(static_cast<std::uint32_t>(body.size())) + body};
    FrameReader reader(std::ref(src));
    CHECK(reader.next().kind == Frame::Kind::Message);
}

TEST_CASE("truncated input is reported, not waited for")
{
    SUBCASE("inside the length")
    {
        BufferSource src{std::string("\x05\x00", 2)};
        CHECK(FrameReader(std::ref(src)).next().kind == Frame::Kind::Truncated);
    }
    SUBCASE("inside the body")
    {
        BufferSource src{le32(10) + "short"};
        CHECK(FrameReader(std::ref(src)).next().kind == Frame::Kind::Truncated);
    }
    SUBCASE("inside a skipped oversized body")
    {
        BufferSource src{le32(0xFFFFFFFFu) + "abc"};
        CHECK(FrameReader(std::ref(src)).next().kind == Frame::Kind::Truncated);
    }
    SUBCASE("empty input is a clean end")
    {
        BufferSource src{""};
        CHECK(FrameReader(std::ref(src)).next().kind == Frame::Kind::End);
    }
}

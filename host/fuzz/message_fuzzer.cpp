// libFuzzer target: arbitrary bytes on the host's stdin. Every frame the
// reader yields goes through request parsing and the error answer builder,
// as in the host's read loop.
#include "messaging/frame.h"
#include "messaging/request.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <variant>

using namespace cardbound::host;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    std::size_t pos = 0;
    // Small limit so that the skip path is reached with small inputs too.
    FrameReader reader(
        [&](char *buf, std::size_t n) -> std::ptrdiff_t {
            std::size_t take = std::min(n, size - pos);
            std::memcpy(buf, data + pos, take);
            pos += take;
            return static_cast<std::ptrdiff_t>(take);
        },
        4096);
    for (int i = 0; i < 64; i++) {
        Frame f = reader.next();
        if (f.kind == Frame::Kind::End || f.kind == Frame::Kind::Truncated)
            break;
        if (f.kind != Frame::Kind::Message)
            continue;
        for (bool dev : {false, true}) {
            auto parsed = parse_request(f.body, OriginPolicy{dev});
            if (auto *r = std::get_if<Request>(&parsed)) {
                // Exercise the argument readers on whatever arrived.
                try {
                    (void)optional_string_argument(*r, "loginId", 64);
                    allow_only_arguments(*r, {"loginId", "challenge"});
                } catch (const HostError &) {
                }
                if (r->origin)
                    (void)r->origin->serialize();
            }
        }
    }
    return 0;
}

// libFuzzer target: arbitrary bytes as a login token, as the relying party
// meets one: JSON text (at most the router's 64 KiB body), the token's form,
// and every check of the validation policy against a PKI made at start.
// Nothing may crash, leak or grow without bound; refusals are expected.
#include "fuzz_pki.h"

#include <cstddef>
#include <cstdint>

using namespace cardbound;

namespace
{

const std::string kNonce = "MTIzNDU2NzgxMjM0NTY3ODEyMzQ1Njc4MTIzNDU2Nzg=";

struct Target {
    fuzz::FuzzPki pki;
    server::TokenValidator validator{pki.validator_config()};
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static Target target;
    if (size > 64 * 1024)
        return 0;
    auto j = nlohmann::json::parse(data, data + size, nullptr, false);
    try {
        AuthToken token =
            server::TokenValidator::parse(j.is_object() && j.contains("token") ? j["token"] : j);
        target.validator.validate(token, fuzz::kOrigin, kNonce, std::time(nullptr));
    } catch (const server::ValidationError &) {
    }
    return 0;
}

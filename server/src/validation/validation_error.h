// Why a token was refused. Each code is stable and machine-readable; the
// message is for logs and people.
#pragma once

#include "cardbound/protocol/registry.h"

#include <stdexcept>
#include <string>
#include <string_view>

namespace cardbound::server
{

// The codes and their names come from the protocol registry
// (protocol/registry.json): ValidationCode::CertRevoked, ...
using ValidationCode = registry::ValidationCode;

std::string_view code_name(ValidationCode code); // "CERT_EXPIRED", ...

struct ValidationError : std::runtime_error {
    ValidationError(ValidationCode c, const std::string &message)
        : std::runtime_error(message), code(c)
    {
    }
    ValidationCode code;
};

[[noreturn]] inline void refuse(ValidationCode code, const std::string &why)
{
    throw ValidationError(code, why);
}

} // namespace cardbound::server

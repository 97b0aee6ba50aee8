// Errors the host answers with. Each code tells the caller what it can do
// about it (docs/protocol.md lists them): fix the request, ask the user again,
// insert a card, or give up.
#pragma once

#include "cardbound/protocol/registry.h"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cardbound::host
{

// The codes and their names come from the protocol registry
// (protocol/registry.json): ErrorCode::BadRequest, ErrorCode::Pkcs11Failure, ...
using ErrorCode = registry::HostErrorCode;

std::string_view code_name(ErrorCode code); // "ERR_BAD_REQUEST", ...

struct HostError : std::runtime_error {
    HostError(ErrorCode c, const std::string &message, nlohmann::json d = nlohmann::json::object())
        : std::runtime_error(message), code(c), details(std::move(d))
    {
    }
    ErrorCode code;
    nlohmann::json details;
};

} // namespace cardbound::host

// Errors the host answers with. Each code tells the caller what it can do
// about it (docs/protocol.md lists them): fix the request, ask the user again,
// insert a card, or give up.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cardbound::host
{

enum class ErrorCode {
    BadRequest,          // malformed or invalid request: a bug in the caller
    UnknownCommand,      // no such command
    MessageTooLarge,     // the request exceeded the input limit
    ResponseTooLarge,    // the answer would exceed the browser's 1 MiB limit
    OriginNotAllowed,    // not https (nor allowed http://localhost)
    OriginMismatch,      // signed data names another origin than the browser's
    ServerNotTrusted,    // the server's signed challenge/receipt did not verify
    LoginUnknown,        // no such login (never begun, used, or expired)
    NoCard,              // the card is not (or no longer) in the reader
    CertificateNotFound, // no certificate with that fingerprint on any card
    PinIncorrect,        // wrong PIN; details.triesLeft when the card tells
    PinInvalid,          // the PIN's length or characters are refused
    PinBlocked,          // the PIN is blocked
    UserCancelled,       // cancelled (on a PIN-pad reader)
    NotLoggedIn,         // no presence session for that origin and tag
    HostMisconfigured,   // the configuration file is invalid
    Pkcs11Failure,       // the PKCS#11 module failed otherwise
    Internal,            // a bug in the host
};

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

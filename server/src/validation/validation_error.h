// Why a token was refused. Each code is stable and machine-readable; the
// message is for logs and people.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cardbound::server
{

enum class ValidationCode {
    TokenMalformed,       // not a web-eid:1 token, bad encodings, bad certificate DER
    AlgorithmUnsupported, // unknown algorithm, or not the one the key signs with
    CertUntrusted,        // no chain to a trust anchor
    CertExpired,          // outside its validity at the validation time
    CertNotYetValid,
    CertWrongPurpose, // no digitalSignature, or an EKU without clientAuth
    CertRevoked,
    RevocationUnknown, // revocation status could not be established
    SignatureInvalid,  // the signature does not cover this origin and nonce
    OriginMismatch,    // the origin is not the expected one (or not canonical)
    NonceUnknown,
    NonceExpired,
    NonceReused,
    PresenceLate,   // the session missed its presence deadline
    SessionUnknown, // no such session (ended, expired or never made)
    NotConfirmed,   // the session has not been confirmed yet
    SessionExists,  // this browser has a live session already: join it, or log out first
};

std::string_view code_name(ValidationCode code); // "CERT_EXPIRED", ...

struct ValidationError : std::runtime_error {
    ValidationError(ValidationCode c, const std::string &message)
        : std::runtime_error(message), code(c)
    {
    }
    ValidationCode code;
};

} // namespace cardbound::server

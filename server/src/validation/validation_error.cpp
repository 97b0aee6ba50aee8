#include "validation/validation_error.h"

namespace cardbound::server
{

std::string_view code_name(ValidationCode code)
{
    switch (code) {
    case ValidationCode::TokenMalformed: return "TOKEN_MALFORMED";
    case ValidationCode::AlgorithmUnsupported: return "ALGORITHM_UNSUPPORTED";
    case ValidationCode::CertUntrusted: return "CERT_UNTRUSTED";
    case ValidationCode::CertExpired: return "CERT_EXPIRED";
    case ValidationCode::CertNotYetValid: return "CERT_NOT_YET_VALID";
    case ValidationCode::CertWrongPurpose: return "CERT_WRONG_PURPOSE";
    case ValidationCode::CertRevoked: return "CERT_REVOKED";
    case ValidationCode::RevocationUnknown: return "REVOCATION_UNKNOWN";
    case ValidationCode::SignatureInvalid: return "SIGNATURE_INVALID";
    case ValidationCode::OriginMismatch: return "ORIGIN_MISMATCH";
    case ValidationCode::NonceUnknown: return "NONCE_UNKNOWN";
    case ValidationCode::NonceExpired: return "NONCE_EXPIRED";
    case ValidationCode::NonceReused: return "NONCE_REUSED";
    case ValidationCode::PresenceLate: return "PRESENCE_LATE";
    case ValidationCode::SessionUnknown: return "SESSION_UNKNOWN";
    case ValidationCode::NotConfirmed: return "NOT_CONFIRMED";
    case ValidationCode::SessionExists: return "SESSION_EXISTS";
    }
    return "TOKEN_MALFORMED";
}

} // namespace cardbound::server

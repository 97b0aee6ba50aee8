#include "core/error.h"

namespace cardbound::host
{

std::string_view code_name(ErrorCode code)
{
    switch (code) {
    case ErrorCode::BadRequest: return "ERR_BAD_REQUEST";
    case ErrorCode::UnknownCommand: return "ERR_UNKNOWN_COMMAND";
    case ErrorCode::MessageTooLarge: return "ERR_MESSAGE_TOO_LARGE";
    case ErrorCode::ResponseTooLarge: return "ERR_RESPONSE_TOO_LARGE";
    case ErrorCode::OriginNotAllowed: return "ERR_ORIGIN_NOT_ALLOWED";
    case ErrorCode::OriginMismatch: return "ERR_ORIGIN_MISMATCH";
    case ErrorCode::ServerNotTrusted: return "ERR_SERVER_NOT_TRUSTED";
    case ErrorCode::LoginUnknown: return "ERR_LOGIN_UNKNOWN";
    case ErrorCode::NoCard: return "ERR_NO_CARD";
    case ErrorCode::CertificateNotFound: return "ERR_CERTIFICATE_NOT_FOUND";
    case ErrorCode::PinIncorrect: return "ERR_PIN_INCORRECT";
    case ErrorCode::PinInvalid: return "ERR_PIN_INVALID";
    case ErrorCode::PinBlocked: return "ERR_PIN_BLOCKED";
    case ErrorCode::UserCancelled: return "ERR_USER_CANCELLED";
    case ErrorCode::NotLoggedIn: return "ERR_NOT_LOGGED_IN";
    case ErrorCode::HostMisconfigured: return "ERR_HOST_MISCONFIGURED";
    case ErrorCode::Pkcs11Failure: return "ERR_PKCS11";
    case ErrorCode::Internal: return "ERR_INTERNAL";
    }
    return "ERR_INTERNAL";
}

} // namespace cardbound::host

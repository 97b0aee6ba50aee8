// Reading the signed server messages out of a request's arguments. A
// malformed message is the caller's error (ERR_BAD_REQUEST); a well-formed one
// that does not verify is the server's (ERR_SERVER_NOT_TRUSTED).
#pragma once

#include "cardbound/protocol/messages.h"
#include "messaging/request.h"

namespace cardbound::host
{

template <typename Message> Message message_argument(const Request &request, const char *name)
{
    try {
        return Message::from_json(object_argument(request, name));
    } catch (const ProtocolError &e) {
        throw HostError(ErrorCode::BadRequest, e.what());
    }
}

} // namespace cardbound::host

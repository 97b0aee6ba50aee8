// A message from the card's side that the page passed on (a presence
// proof, a transaction confirmation), parsed by the parser host and server
// share (cardbound/protocol/messages.h): one it cannot read is refused as
// TOKEN_MALFORMED.
#pragma once

#include "cardbound/protocol/messages.h"
#include "validation/validation_error.h"

#include <nlohmann/json.hpp>

namespace cardbound::server
{

template <class Message> Message parse_message(const nlohmann::json &j)
{
    try {
        return Message::from_json(j);
    } catch (const ProtocolError &e) {
        refuse(ValidationCode::TokenMalformed, e.what());
    }
}

} // namespace cardbound::server

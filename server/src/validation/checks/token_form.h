// The token's form: the JSON of a web-eid:1 token (docs/protocol.md §8,
// rules 1 and 2). Unknown members are ignored, as Web eID's own validators
// do; appVersion is optional; every member read is typed and bounded.
#pragma once

#include "cardbound/protocol/messages.h"

#include <nlohmann/json.hpp>

namespace cardbound::server
{

// Throws ValidationError: TOKEN_MALFORMED (not an object, a member missing,
// of the wrong type, too long, bad base64, another format),
// ALGORITHM_UNSUPPORTED (an algorithm we do not know).
AuthToken parse_token(const nlohmann::json &token);

} // namespace cardbound::server

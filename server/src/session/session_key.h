// The public name of a session: lowercase hex SHA-256 of its id.
//
// The id is the session's cookie, a bearer secret; the key names the same
// session and grants nothing, so it is what leaves the process: the event
// hub files a session's streams under it, its end is published under it to
// the other instances, and the Redis store keys the session by it (whoever
// can read Redis, its MONITOR or its slow log reads no cookie).
#pragma once

#include <string>
#include <string_view>

namespace cardbound::server
{

std::string session_key(std::string_view session_id);

} // namespace cardbound::server

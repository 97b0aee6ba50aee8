// The error every shared store (nonces, sessions) throws when it cannot
// answer. Apart from the Redis client so that the HTTP layer can map it to
// 503 STORE_UNAVAILABLE without depending on Redis, and so that code which
// only knows the store interfaces can tell it from a bug.
#pragma once

#include <stdexcept>

namespace cardbound::server
{

// The shared store cannot answer (down, too slow, out of memory, refusing
// writes, or its data cannot be read). The relying party answers 503: no
// session is created, extended or ended on a guess.
struct StoreUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace cardbound::server

// Single-use nonces in Redis, shared by every instance of the relying party:
// a challenge issued by one instance is answered on any other, and only once
// across all of them.
//
// One key a nonce, PREFIX "nonce:" NONCE, holding its expiry (unix seconds)
// until it is used and "used" afterwards; Redis forgets it by its own TTL
// (EXAT), never by a scan: an unused nonce when it expires, a used one
// keep_used_seconds later, so that its replay is told as a replay. The
// answers are MemoryNonceStore's: NONCE_UNKNOWN, NONCE_EXPIRED, NONCE_REUSED.
//
// Round trips: issue 1 (SET ... EXAT), consume 1 (EVALSHA of one script that
// reads and marks the nonce in one atomic step: never a GET then a SET, which
// two instances could both pass). The TTL is Redis's clock: it should agree
// with the instances' (NTP). A Redis clock ahead forgets nonces early (the
// answer is NONCE_UNKNOWN: refused, never accepted); the expiry itself is
// decided against the caller's `now`, as in memory.
//
// There is no count bound as in memory: Redis's maxmemory is the bound, with
// maxmemory-policy noeviction (an evicted nonce would be NONCE_UNKNOWN; a
// full Redis refuses the SET and issue() throws StoreUnavailable).
#pragma once

#include "store/redis_connection.h"
#include "validation/nonce_store.h"

#include <memory>
#include <string>

namespace cardbound::server
{

class RedisNonceStore : public NonceStore
{
  public:
    explicit RedisNonceStore(std::shared_ptr<RedisClient> redis, int keep_used_seconds = 3600,
                             std::string prefix = "cardbound:");
    // Both throw StoreUnavailable when Redis does not answer (consume then
    // has not decided: the login must be refused, not let through).
    void issue(const std::string &nonce, std::time_t expires) override;
    void consume(const std::string &nonce, std::time_t now) override;

    std::string key_of(const std::string &nonce) const { return prefix_ + "nonce:" + nonce; }

  private:
    std::shared_ptr<RedisClient> redis_;
    int keep_used_;
    std::string prefix_;
};

} // namespace cardbound::server

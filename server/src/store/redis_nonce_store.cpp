#include "store/redis_nonce_store.h"

#include "validation/validation_error.h"

#include <algorithm>
#include <stdexcept>

namespace cardbound::server
{

namespace
{

// KEYS[1] the nonce's key; ARGV[1] now, ARGV[2] keep_used_seconds. The
// order of the checks is MemoryNonceStore::consume's.
const RedisScript &take_script()
{
    static const RedisScript script(R"lua(
local v = redis.call('GET', KEYS[1])
if not v then return 'unknown' end
if v == 'used' then return 'reused' end
local expires = tonumber(v)
if not expires then return redis.error_reply('the nonce key ' .. KEYS[1] .. ' holds no expiry') end
if tonumber(ARGV[1]) >= expires then return 'expired' end
redis.call('SET', KEYS[1], 'used', 'EXAT', string.format('%d', math.max(expires + tonumber(ARGV[2]), 1)))
return 'ok'
)lua");
    return script;
}

} // namespace

RedisNonceStore::RedisNonceStore(std::shared_ptr<RedisClient> redis, int keep_used_seconds,
                                 std::string prefix)
    : redis_(std::move(redis)), keep_used_(keep_used_seconds), prefix_(std::move(prefix))
{
    if (!redis_)
        throw std::invalid_argument("a Redis nonce store needs a Redis client");
    if (keep_used_seconds < 0)
        throw std::invalid_argument("a nonce store keeps used nonces 0 s or more");
}

void RedisNonceStore::issue(const std::string &nonce, std::time_t expires)
{
    // EXAT wants a positive time; one in the past removes the key at once
    // (an expired nonce is forgotten, as in memory).
    std::time_t at = std::max<std::time_t>(expires, 1);
    redis_->command({"SET", key_of(nonce), std::to_string(expires), "EXAT", std::to_string(at)});
}

void RedisNonceStore::consume(const std::string &nonce, std::time_t now)
{
    RedisReply r = redis_->lease().eval(take_script(), {key_of(nonce)},
                                        {std::to_string(now), std::to_string(keep_used_)});
    std::string answer = reply_text(r.get());
    if (answer == "ok")
        return;
    if (answer == "unknown")
        throw ValidationError(ValidationCode::NonceUnknown, "the nonce was not issued here");
    if (answer == "reused")
        throw ValidationError(ValidationCode::NonceReused, "the nonce was used already");
    if (answer == "expired")
        throw ValidationError(ValidationCode::NonceExpired, "the nonce has expired");
    throw StoreUnavailable("Redis answered a nonce's use with \"" + answer + "\"");
}

} // namespace cardbound::server

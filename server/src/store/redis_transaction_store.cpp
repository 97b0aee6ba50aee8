#include "store/redis_transaction_store.h"

#include "validation/store_unavailable.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace cardbound::server
{

namespace
{

// The "v" of a stored question.
constexpr int kFormat = 1;

// KEYS[1] the session's questions; ARGV[1] the nonce, ARGV[2] the question
// (JSON), ARGV[3] its expiry, ARGV[4] now, ARGV[5] max_per_session. Only
// the expiries are read here; the text passes through as it came.
const RedisScript &issue_script()
{
    static const RedisScript script(R"lua(
local now, most = tonumber(ARGV[4]), tonumber(ARGV[5])
local latest = tonumber(ARGV[3])
local held = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #held, 2 do
  local expires = tonumber(cjson.decode(held[i + 1]).expires)
  if not expires then return redis.error_reply('a transaction in Redis has no expiry') end
  if expires < now or held[i] == ARGV[1] then
    redis.call('HDEL', KEYS[1], held[i])
  else
    live[#live + 1] = {held[i], expires}
    if expires > latest then latest = expires end
  end
end
if #live >= most then
  table.sort(live, function(a, b) return a[2] < b[2] end)
  for i = 1, #live - most + 1 do redis.call('HDEL', KEYS[1], live[i][1]) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIREAT', KEYS[1], latest + 1)
return 1
)lua");
    return script;
}

// KEYS[1] the session's questions; ARGV[1] the nonce. The question, or nil.
const RedisScript &take_script()
{
    static const RedisScript script(R"lua(
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
return v
)lua");
    return script;
}

} // namespace

RedisTransactionStore::RedisTransactionStore(std::shared_ptr<RedisClient> redis, std::string prefix,
                                             std::size_t max_per_session)
    : redis_(std::move(redis)), prefix_(std::move(prefix)), max_per_session_(max_per_session)
{
    if (!redis_)
        throw std::invalid_argument("a Redis transaction store needs a Redis client");
    if (max_per_session < 1)
        throw std::invalid_argument("a transaction store needs room for 1 question or more");
}

void RedisTransactionStore::issue(const std::string &session_key, const std::string &nonce,
                                  const PendingTransaction &t, std::time_t now)
{
    std::string question = nlohmann::json{{"v", kFormat},
                                          {"text", t.text},
                                          {"expires", static_cast<long long>(t.expires)}}
                               .dump();
    redis_->lease().eval(issue_script(), {key_of(session_key)},
                         {nonce, question, std::to_string(t.expires), std::to_string(now),
                          std::to_string(max_per_session_)});
}

std::optional<PendingTransaction> RedisTransactionStore::take(const std::string &session_key,
                                                              const std::string &nonce)
{
    RedisReply r = redis_->lease().eval(take_script(), {key_of(session_key)}, {nonce});
    if (r->type == REDIS_REPLY_NIL)
        return std::nullopt;
    if (r->type != REDIS_REPLY_STRING)
        throw StoreUnavailable("Redis answered a transaction's take with no question");
    try {
        auto j = nlohmann::json::parse(reply_text(r.get()));
        if (j.at("v").get<int>() != kFormat)
            throw std::invalid_argument("it is stored in format " + j.at("v").dump());
        return PendingTransaction{j.at("text").get<std::string>(),
                                  static_cast<std::time_t>(j.at("expires").get<long long>())};
    } catch (const std::exception &e) {
        // Taken, but unreadable: refused (StoreUnavailable), never accepted.
        throw StoreUnavailable(std::string("a transaction in Redis cannot be read: ") + e.what());
    }
}

} // namespace cardbound::server

// Pending transaction confirmations in Redis, shared by every instance: a
// question issued by one instance is answered on any other, once.
//
// Layout (PREFIX defaults to "cardbound:"; KEY is session_key(id), the
// lowercase hex SHA-256 of the session id, never the id itself):
//   PREFIX "transactions:" KEY  a hash, nonce -> the question as JSON
//                               {"v": 1, "text": ..., "expires": unix s};
//                               the key's TTL is the latest expiry among
//                               them (+1 s: the relying party counts a
//                               question alive through its expiry's second).
//
// Round trips: issue 1 (EVALSHA: drops the session's expired questions,
// pushes out its earliest one beyond max_per_session, adds the new one and
// sets the TTL, in one atomic step), take 1 (EVALSHA: HGET and HDEL in one
// atomic step, so one confirmation of a nonce wins across all instances; a
// nonce is looked up only under its session's key, so another session
// never finds, nor uses up, someone else's question).
//
// Bounded: max_per_session questions a session, each gone by its TTL; the
// number of sessions, and Redis's maxmemory (noeviction), bound the rest,
// as for the nonces.
//
// Both calls throw StoreUnavailable when Redis does not answer or holds
// something this version cannot read: a question is then neither issued
// nor accepted.
#pragma once

#include "session/transaction_store.h"
#include "store/redis_connection.h"

#include <memory>
#include <string>

namespace cardbound::server
{

class RedisTransactionStore : public TransactionStore
{
  public:
    explicit RedisTransactionStore(std::shared_ptr<RedisClient> redis,
                                   std::string prefix = "cardbound:",
                                   std::size_t max_per_session = kDefaultMaxPerSession);

    void issue(const std::string &session_key, const std::string &nonce,
               const PendingTransaction &t, std::time_t now) override;
    std::optional<PendingTransaction> take(const std::string &session_key,
                                           const std::string &nonce) override;

    // The Redis key of the questions of the session with this key.
    std::string key_of(const std::string &session_key) const
    {
        return prefix_ + "transactions:" + session_key;
    }

  private:
    std::shared_ptr<RedisClient> redis_;
    std::string prefix_;
    std::size_t max_per_session_;
};

} // namespace cardbound::server

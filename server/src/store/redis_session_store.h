// Sessions in Redis, shared by every instance of the relying party: a login
// on one instance, its presence proofs on another, its logout on a third.
//
// Layout (PREFIX defaults to "cardbound:"):
//   PREFIX "session:" ID  a string, the session as JSON (the card's public key
//                         as base64 DER SubjectPublicKeyInfo); its TTL is the
//                         session's deadline itself (EXAT deadline), so a
//                         session nobody ends still disappears on time.
//   PREFIX "deadlines"    a sorted set, ID scored by its deadline: the time
//                         index expire() reads (never a scan) and size().
// Both are written in one MULTI ... EXEC, so they never disagree, except that
// Redis may have dropped an expired session's key before expire() ran; the
// index entry then still stands for it (see expire()).
//
// A session key is alive in Redis up to its deadline's first millisecond;
// the relying party (whole seconds) counts it alive through that second. So
// a proof arriving within the deadline's own second may find the session
// gone: up to a second earlier than in memory, never later.
//
// Round trips (each a single write and read; a pipeline counts one):
//   put     1  MULTI, SET ... EXAT, ZADD, EXEC
//   get     1  GET
//   erase   1  MULTI, DEL, ZREM, EXEC
//   update  2  WATCH + GET, then MULTI, SET ... XX EXAT, [ZADD], EXEC; one
//              more of each per conflict; +1 (UNWATCH) when the session is
//              gone or the change refuses
//   expire  2  ZRANGEBYSCORE, then one script run per ended session, all in
//              one pipeline (a 1000 a batch)
//   size    1  ZCARD
// A presence proof in RelyingParty today is get (its snapshot, to verify the
// signature outside any lock) + update = 3 round trips; a presence challenge
// is update = 2. Issue 15 wants one per proof. That needs the change sent as
// data, not code: a Lua script that checks the tag, the pending nonce, the
// confirmation and the deadline and then moves the deadline and the answered
// nonce, in one EVALSHA; the snapshot's immutable parts (tag, origin, key,
// algorithm) could be cached by each instance, keyed by session id. Both need
// an operation on SessionStore beyond update(std::function), which a Redis
// store can only run here, between a read and a conditional write.
//
// Every call throws StoreUnavailable when Redis does not answer in time, a
// session cannot be read back, or an update loses its race too often.
#pragma once

#include "session/session_store.h"
#include "store/redis_connection.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace cardbound::server
{

class RedisSessionStore : public SessionStore
{
  public:
    explicit RedisSessionStore(std::shared_ptr<RedisClient> redis,
                               std::string prefix = "cardbound:", int max_update_attempts = 16);

    void put(const Session &s) override;
    // Optimistic: the session is read under WATCH, the change runs here and
    // the result is written only if nobody wrote the session meanwhile (and it
    // did not expire); otherwise it is read and changed again, up to
    // max_update_attempts times, then StoreUnavailable. So a change may run
    // more than once (each time on a fresh copy): it must have no effect
    // beyond the session it is given. A change that throws leaves Redis as it
    // was. Within one instance the updates of a session take turns (a lock
    // per stripe of ids), so only other instances' writes make one retry:
    // threads of one instance never waste round trips on each other.
    std::optional<Session> update(const std::string &id, const Change &change) override;
    std::optional<Session> get(const std::string &id) const override;
    // True for exactly one caller across all instances: the one whose call
    // removed the session (or, for a session whose key Redis has already
    // dropped, its index entry).
    bool erase(const std::string &id) override;
    // Removes and returns the sessions whose deadline is before `now`; each
    // one is returned by exactly one call across all instances (a script
    // takes it out of the index and reads it in one atomic step). A session
    // whose key Redis dropped at its deadline before this ran comes back with
    // only its id and deadline set (its data is gone; the relying party needs
    // the id only).
    std::vector<Session> expire(std::time_t now) override;
    // The sessions in the index: live ones, and ended ones that expire() has
    // not taken out yet (as in memory).
    std::size_t size() const override;

    // Updates that lost a race and were tried again, since the start.
    std::uint64_t conflicts() const { return conflicts_.load(); }

    std::string key_of(const std::string &id) const { return prefix_ + "session:" + id; }
    std::string deadlines_key() const { return prefix_ + "deadlines"; }

    // The stored form. parse() throws StoreUnavailable for anything it cannot
    // read back whole (another version, a damaged key).
    static std::string serialise(const Session &s);
    static Session parse(std::string_view json);

  private:
    std::shared_ptr<RedisClient> redis_;
    std::string prefix_;
    int max_attempts_;
    std::atomic<std::uint64_t> conflicts_{0};
    static constexpr std::size_t kStripes = 64;
    std::array<std::mutex, kStripes> stripes_;
};

} // namespace cardbound::server

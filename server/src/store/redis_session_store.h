// Sessions in Redis, shared by every instance of the relying party: a login
// on one instance, its presence proofs on another, its logout on a third.
//
// Layout (PREFIX defaults to "cardbound:"; KEY is session_key(id), the
// lowercase hex SHA-256 of the session id, session/session_key.h):
//   PREFIX "session:" KEY  a string, the session as JSON (the card's public
//                          key as base64 DER SubjectPublicKeyInfo), without
//                          its id; its TTL is the session's deadline itself
//                          (EXAT deadline), so a session nobody ends still
//                          disappears on time.
//   PREFIX "deadlines"     a sorted set, KEY scored by its deadline: the time
//                          index expire() reads (never a scan) and size().
// Both are written in one atomic step (MULTI ... EXEC, or a script), so they
// never disagree, except that Redis may have dropped an expired session's
// key before expire() ran; the index entry then still stands for it (see
// expire()).
//
// The id itself is nowhere in Redis, neither in a key, nor in the index,
// nor in a value: it is the session's cookie, and whoever can read Redis
// (or watch it: MONITOR, the slow log, a replica, a dump) must not be able to
// use a session. Its key only names it, as in the ends published to the
// other instances (redis_session_events.h). So this store can look a
// session up by id, but not list ids: expire() returns keys.
//
// A session key is alive in Redis up to its deadline's first millisecond;
// the relying party (whole seconds) counts it alive through that second. So
// a proof arriving within the deadline's own second may find the session
// gone: up to a second earlier than in memory, never later.
//
// Round trips (each a single write and read; a pipeline or a script run
// counts one; the first run of a script after Redis started or flushed its
// scripts costs one more, for its EVAL):
//   put              1  MULTI, SET ... EXAT, ZADD, EXEC
//   get              1  GET
//   erase            1  MULTI, DEL, ZREM, EXEC
//   prove_presence   1  EVALSHA: checks and moves nonce, deadline and index
//   rotate_presence  1  EVALSHA: checks and sets the pending nonce
//   expire           2  ZRANGEBYSCORE, then one script run per ended session,
//                       all in one pipeline (a 1000 a batch)
//   size             1  ZCARD
// So a presence proof in RelyingParty is 1 round trip (prove_presence), plus
// a get the first time its instance sees the session (RelyingParty
// remembers the session's fixed parts: proof_keys.h) or when the proof is
// refused before the store is asked; a presence challenge is 1
// (rotate_presence). The scripts check what the relying party's change did
// (the tag, the pending and answered nonces, the confirmation, the
// deadline) on Redis's side, in one atomic step, so they race with a
// logout, an expiry and each other safely across instances, with no
// WATCH, no retry and no lock here.
//
// Every call throws StoreUnavailable when Redis does not answer in time or
// a session cannot be read back.
#pragma once

#include "session/session_store.h"
#include "store/redis_connection.h"

#include <memory>
#include <string>
#include <string_view>

namespace cardbound::server
{

class RedisSessionStore : public SessionStore
{
  public:
    explicit RedisSessionStore(std::shared_ptr<RedisClient> redis,
                               std::string prefix = "cardbound:");

    void put(const Session &s) override;
    PresenceCheck prove_presence(const std::string &id, const PresenceAnswer &answer) override;
    PresenceRotation rotate_presence(const std::string &id, const std::string &nonce,
                                     std::time_t now) override;
    std::optional<Session> get(const std::string &id) const override;
    // True for exactly one caller across all instances: the one whose call
    // removed the session (or, for a session whose key Redis has already
    // dropped, its index entry).
    bool erase(const std::string &id) override;
    // Removes the sessions whose deadline is before `now` and returns their
    // keys; each one is returned by exactly one call across all instances (a
    // script takes it out of the index and deletes it in one atomic step),
    // also one whose key Redis dropped at its deadline before this ran.
    std::vector<std::string> expire(std::time_t now) override;
    // The sessions in the index: live ones, and ended ones that expire() has
    // not taken out yet (as in memory).
    std::size_t size() const override;

    // The Redis key of the session with this id.
    std::string key_of(const std::string &id) const;
    std::string deadlines_key() const { return prefix_ + "deadlines"; }

    // The stored form, without the id. parse() gives a session without its
    // id, and throws StoreUnavailable for anything it cannot read back whole
    // (another version, a damaged key).
    static std::string serialise(const Session &s);
    static Session parse(std::string_view json);

  private:
    // The Redis key of the session with this key (session_key(id)).
    std::string redis_key(const std::string &session_key) const
    {
        return prefix_ + "session:" + session_key;
    }

    std::shared_ptr<RedisClient> redis_;
    std::string prefix_;
};

} // namespace cardbound::server

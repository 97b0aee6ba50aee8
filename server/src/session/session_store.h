// Sessions that live only while the card proves it is there. The store is
// an interface (a deployment may share sessions); the default is in memory
// and thread-safe. Every read-modify-write is one atomic step per session,
// so that a confirm, a presence proof and a logout racing each other never
// undo one another, and one proof counts once.
//
// The only changes of a stored session are the presence steps (the confirm
// is the first proof), and they are operations of their own, sent as data
// (prove_presence, rotate_presence): a shared store runs each as one atomic
// step on its side, in one round trip. There is no general "change this
// session" call: its change, being code, would have to run here between a
// read and a conditional write, retried under contention.
#pragma once

#include "cardbound/crypto/signature.h"
#include "validation/token_validator.h"

#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

namespace cardbound::server
{

struct Session {
    std::string id;  // 256-bit random, base64url: the secret cookie value
    std::string tag; // public name, in receipts and presence messages
    std::string origin;
    Identity identity;
    // The card's public key, parsed once at login and shared (reference
    // counted, never changed): a presence proof is checked with it directly.
    std::shared_ptr<EVP_PKEY> public_key;
    Algorithm algorithm = Algorithm::ES256;
    bool confirmed = false;
    std::string pending_nonce;  // the presence nonce to be answered next
    std::string answered_nonce; // the last one answered (replays are refused)
    std::time_t deadline = 0;   // the session ends when no proof came by then
};

// What a presence step found: the first check that failed, or Done. The
// checks run in this order, the protocol's (relying_party.cpp).
enum class PresenceCheck {
    Done,
    Gone,         // no such session: ended (a logout, an expiry), or never was
    Late,         // past its deadline (the store does not end it: the caller does)
    NotConfirmed, // the step needs a confirmed session
    OtherSession, // the proof names another session's tag
    Replayed,     // the nonce was answered already
    UnknownNonce, // the nonce is not the pending one
};

// A presence proof whose signature the caller has verified, to be recorded
// if it still holds when the store looks.
struct PresenceAnswer {
    std::string tag;   // the session tag the proof names
    std::string nonce; // the nonce it answers
    std::time_t now = 0;
    std::time_t deadline = 0;      // the session's next deadline, if the proof counts
    bool must_be_confirmed = true; // false for the confirmation, the first proof
};

// A new presence challenge's nonce, recorded: what the challenge is made of.
struct PresenceRotation {
    PresenceCheck check = PresenceCheck::Gone;
    std::string tag, origin; // set when Done
    std::time_t deadline = 0;
};

class SessionStore
{
  public:
    virtual ~SessionStore() = default;
    virtual void put(const Session &s) = 0;
    // Records a verified presence proof in one atomic step: if the session
    // is there, not late (answer.now after its deadline), confirmed (when
    // answer.must_be_confirmed), answer.tag is its tag and answer.nonce its
    // pending nonce, not the answered one, then that nonce becomes the
    // answered one, the session is confirmed and its deadline becomes
    // answer.deadline. Otherwise nothing changes. So of two equal proofs
    // exactly one is Done, and a proof never brings an ended session back.
    virtual PresenceCheck prove_presence(const std::string &id, const PresenceAnswer &answer) = 0;
    // Makes `nonce` the pending presence nonce of a live, confirmed session,
    // in one atomic step (the answered one stays, so a replay still reads
    // as one); its deadline is unchanged.
    virtual PresenceRotation rotate_presence(const std::string &id, const std::string &nonce,
                                             std::time_t now) = 0;
    virtual std::optional<Session> get(const std::string &id) const = 0;
    virtual bool erase(const std::string &id) = 0;
    // Removes the sessions whose deadline passed and returns their keys
    // (session_key(id)), not their ids: a shared store does not keep the
    // ids, which are cookies, and the ends are told by key anyway.
    virtual std::vector<std::string> expire(std::time_t now) = 0;
    virtual std::size_t size() const = 0;
};

class MemorySessionStore : public SessionStore
{
  public:
    void put(const Session &s) override;
    PresenceCheck prove_presence(const std::string &id, const PresenceAnswer &answer) override;
    PresenceRotation rotate_presence(const std::string &id, const std::string &nonce,
                                     std::time_t now) override;
    std::optional<Session> get(const std::string &id) const override;
    bool erase(const std::string &id) override;
    // O(log n) a session ended: the deadlines are a time index, not a scan.
    std::vector<std::string> expire(std::time_t now) override;
    std::size_t size() const override;

  private:
    void index(const Session &s);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, Session> sessions_;
    // (deadline, id), earliest first. A session whose deadline moved leaves
    // its old entry behind; expire() skips entries that no longer match.
    using Due = std::pair<std::time_t, std::string>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> deadlines_;
};

} // namespace cardbound::server

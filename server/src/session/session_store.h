// Sessions that live only while the card proves it is there. The store is
// an interface (a deployment may share sessions); the default is in memory
// and thread-safe. Every read-modify-write goes through update(), one atomic
// step per session, so that a confirm, a presence proof and a logout racing
// each other never undo one another, and one proof counts once.
#pragma once

#include "cardbound/crypto/signature.h"
#include "validation/token_validator.h"

#include <ctime>
#include <functional>
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

class SessionStore
{
  public:
    // A change of one session, applied in place; it may refuse by throwing
    // ValidationError, which leaves the session as it was.
    using Change = std::function<void(Session &)>;

    virtual ~SessionStore() = default;
    virtual void put(const Session &s) = 0;
    // Applies `change` atomically to the session and returns the new value;
    // nothing when the session is gone (ended meanwhile: a logout or an
    // expiry is never undone). The change's refusal propagates.
    virtual std::optional<Session> update(const std::string &id, const Change &change) = 0;
    virtual std::optional<Session> get(const std::string &id) const = 0;
    virtual bool erase(const std::string &id) = 0;
    // Removes and returns the sessions whose deadline passed.
    virtual std::vector<Session> expire(std::time_t now) = 0;
    virtual std::size_t size() const = 0;
};

class MemorySessionStore : public SessionStore
{
  public:
    void put(const Session &s) override;
    std::optional<Session> update(const std::string &id, const Change &change) override;
    std::optional<Session> get(const std::string &id) const override;
    bool erase(const std::string &id) override;
    // O(log n) a session ended: the deadlines are a time index, not a scan.
    std::vector<Session> expire(std::time_t now) override;
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

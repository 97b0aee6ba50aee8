// Sessions that live only while the card proves it is there. The store is
// an interface (a deployment may share sessions); the default is in memory
// and thread-safe.
#pragma once

#include "cardbound/crypto/signature.h"
#include "validation/token_validator.h"

#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace cardbound::server
{

struct Session {
    std::string id;  // 256-bit random, base64url: the secret cookie value
    std::string tag; // public name, in receipts and presence messages
    std::string origin;
    Identity identity;
    Bytes public_key; // the card's SubjectPublicKeyInfo (DER), to check presence proofs
    Algorithm algorithm = Algorithm::ES256;
    bool confirmed = false;
    std::string pending_nonce;  // the presence nonce to be answered next
    std::string answered_nonce; // the last one answered (replays are refused)
    std::time_t deadline = 0;   // the session ends when no proof came by then
};

class SessionStore
{
  public:
    virtual ~SessionStore() = default;
    virtual void put(const Session &s) = 0;
    // Writes back a changed session, but only if it still exists: a logout
    // (or expiry) that came in between must not be undone. False if gone.
    virtual bool replace(const Session &s) = 0;
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
    bool replace(const Session &s) override;
    std::optional<Session> get(const std::string &id) const override;
    bool erase(const std::string &id) override;
    std::vector<Session> expire(std::time_t now) override;
    std::size_t size() const override;

  private:
    mutable std::mutex mutex_;
    std::map<std::string, Session> sessions_;
};

} // namespace cardbound::server

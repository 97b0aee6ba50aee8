// What a presence proof is verified with, remembered by each instance of
// the relying party so that a proof's signature is checked with no read of
// the store: the parts of a session fixed at login (tag, origin, public key,
// algorithm), by session id.
//
// Only what never changes is kept here, so an entry is never stale in what
// it says; it may outlive its session, which is harmless: a proof verified
// with it is then recorded by the store, which alone decides whether the
// session is still live (SessionStore::prove_presence), and finds it gone.
//
// Bounded: two generations of at most capacity / 2 entries each; when the
// newer one is full the older one is dropped (an entry used since its
// generation began is moved to the newer one first). So the sessions proven
// lately stay, a miss costs the caller one read of the store, and memory
// stays at most `capacity` entries, without a list to keep in order.
#pragma once

#include "session/session_store.h"

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cardbound::server
{

struct ProofKey {
    std::string tag;
    std::string origin;
    std::shared_ptr<EVP_PKEY> public_key;
    Algorithm algorithm = Algorithm::ES256;
};

class ProofKeys
{
  public:
    explicit ProofKeys(std::size_t capacity);

    // Nothing when it is not remembered (never seen, or dropped).
    std::shared_ptr<const ProofKey> find(const std::string &session_id);
    std::shared_ptr<const ProofKey> remember(const Session &s);
    void forget(const std::string &session_id);
    std::size_t size() const;

  private:
    using Generation = std::unordered_map<std::string, std::shared_ptr<const ProofKey>>;
    // Under the lock: makes room in the newer generation for one more; a
    // dropped generation goes to `dropped`, to be freed after the lock.
    void make_room(Generation &dropped);

    std::size_t half_;
    mutable std::mutex mutex_;
    Generation newer_, older_;
};

} // namespace cardbound::server

// The relying party's side of the three steps (docs/protocol.md):
//   challenge()          step 1: a signed challenge carrying the host's nonce
//   login()              step 2: validate the token, make an unconfirmed
//                        session, sign the receipt
//   confirm()            step 3: the first presence proof; full access now
//   presence_challenge() / presence(): keep the session alive
//   session()            the session for a request, if it is confirmed and
//                        has not missed its presence deadline
//   logout(), expire()   the ends
// The relying party alone announces that a session ended, with the
// registry's reason, to the one listener given to on_session_end (the event
// hub): a logout (logout, card-removed), a refused presence proof
// (presence-refused), a missed deadline found by any request or by expire()
// (presence-late). Each end is told once, by the session's key
// (session_key.h), never its id: an end found by the store's expiry has no
// id to tell (a shared store keeps none).
//
// A presence proof is verified with the session's fixed parts, remembered
// by this instance (proof_keys.h), and then recorded by the store in one
// atomic step that checks the session's state (SessionStore::
// prove_presence): with Redis one round trip, plus one read the first time
// this instance sees the session. A presence challenge is one step too.
#pragma once

#include "cardbound/protocol/messages.h"
#include "cardbound/protocol/registry.h"
#include "session/proof_keys.h"
#include "session/server_identity.h"
#include "session/session_store.h"
#include "validation/nonce_store.h"
#include "validation/token_validator.h"

#include <functional>
#include <string_view>

namespace cardbound::server
{

struct RelyingPartyConfig {
    std::string origin;           // the site's exact origin
    int challenge_lifetime = 120; // seconds (at most registry::kMaxChallengeLifetimeSeconds)
    int presence_interval = 30;   // seconds between presence proofs
    int presence_grace = 10;      // slack after the interval
    // Sessions whose fixed parts (proof_keys.h) this instance remembers;
    // one more read of the store for a proof of any other.
    std::size_t proof_keys = 65536;
};

class RelyingParty
{
  public:
    RelyingParty(RelyingPartyConfig config, ServerIdentity identity,
                 std::shared_ptr<const TokenValidator> validator,
                 std::shared_ptr<NonceStore> nonces, std::shared_ptr<SessionStore> sessions);

    ServerChallenge challenge(const std::string &host_nonce, std::time_t now);

    struct Login {
        Session session;
        Receipt receipt;
    };
    // origin: the request's Origin header, which must be the site's origin.
    Login login(const nlohmann::json &token, const std::string &server_nonce,
                const std::string &origin, std::time_t now);
    void confirm(const std::string &session_id, const nlohmann::json &proof, std::time_t now);
    PresenceChallenge presence_challenge(const std::string &session_id, std::time_t now);
    void presence(const std::string &session_id, const nlohmann::json &proof, std::time_t now);
    // The confirmed, live session; throws SESSION_UNKNOWN, NOT_CONFIRMED,
    // PRESENCE_LATE (and ends a late session).
    Session session(const std::string &session_id, std::time_t now);
    using EndListener =
        std::function<void(const std::string &session_key, std::string_view reason)>;
    // Set once, before requests are served.
    void on_session_end(EndListener listener) { on_end_ = std::move(listener); }
    // Ends the session for the user (logout) or the extension (card-removed);
    // false when it was gone already.
    bool logout(const std::string &session_id,
                std::string_view reason = registry::end_reason::kLogout);
    // Removes a session without telling anyone: an unconfirmed session
    // replaced by a new login from the same browser, whose tabs must not hear
    // "ended".
    bool discard(const std::string &session_id);
    // Ends the sessions that missed their deadline; returns their keys.
    std::vector<std::string> expire(std::time_t now);
    std::size_t live_sessions() const { return sessions_->size(); }

    const RelyingPartyConfig &config() const { return config_; }
    // The key the server signs its messages with, for the other messages of
    // a session (transactions.h).
    const ServerIdentity &identity() const { return identity_; }

  private:
    Session live(const std::string &session_id, std::time_t now);
    // Ends the session and tells the listener, if it was still there.
    bool end(const std::string &session_id, std::string_view reason);
    // Ends a late session and throws PRESENCE_LATE.
    [[noreturn]] void late(const std::string &session_id);
    // Throws what a presence step's failed check means (a late session ends).
    [[noreturn]] void refuse_presence(const std::string &session_id, PresenceCheck check);
    static void check_nonce(const Session &s, const PresenceProof &proof);
    // The checks of a proof against a snapshot, up to its signature.
    static void check_before_signature(const Session &s, const nlohmann::json &proof_json,
                                       bool must_be_confirmed);
    void answer(const std::string &session_id, const nlohmann::json &proof, std::time_t now,
                bool must_be_confirmed);

    RelyingPartyConfig config_;
    ServerIdentity identity_;
    std::shared_ptr<const TokenValidator> validator_;
    std::shared_ptr<NonceStore> nonces_;
    std::shared_ptr<SessionStore> sessions_;
    ProofKeys proof_keys_;
    EndListener on_end_;
};

} // namespace cardbound::server

// Logins in progress and the presence sessions they turn into. Bounded: old
// entries make room for new ones, expired ones are dropped. Shared by the
// request loop and the card threads: every method locks, and hands out
// copies, never references into the store.
//
// A login moves through these states, one command each (docs/protocol.md §3):
//
//   Begun ──verify-server──► ServerVerified ──authenticate──► Signing ──► Signed
//                                  ▲                             │          │
//                                  └──── PIN wrong, cancelled ───┘       confirm
//                                                                           │
//                                 the presence session begins ◄── Confirming
//
// A document signature (`sign`) goes the same way to Signing, and is then
// used up: one verified challenge, one signature.
//
// The server's challenge is parsed and its chain verified once, by
// verify-server; authenticate re-checks only that it is still fresh.
#pragma once

#include "cardbound/protocol/registry.h"
#include "trust/server_verifier.h"

#include <algorithm>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace cardbound::host
{

struct PendingLogin {
    enum class State { Begun, ServerVerified, Signing, Signed, Confirming };
    std::string login_id;
    std::string origin;
    std::string host_nonce;
    std::time_t expires = 0;
    State state = State::Begun;
    // From verify-server on:
    std::optional<VerifiedServer> server;
    std::string server_nonce;
    std::time_t challenge_expires = 0;
    // From authenticate on:
    std::string certificate_fingerprint;
    std::string token_hash; // base64 SHA-256 of the token's signature
    std::string reader;
    std::uint64_t removal_count = 0;
};

struct PresenceSession {
    std::string origin;
    std::string session_tag;
    VerifiedServer server;
    std::string certificate_fingerprint;
    std::string reader;
    std::uint64_t removal_count = 0; // the card's removals when it logged in
    std::string last_nonce;
    int presence_interval = 0; // seconds, from the receipt
    std::time_t expires = 0;   // idle sessions are forgotten

    // How long a session may go without a presence proof before the host
    // forgets it: three intervals, and never less than ten minutes.
    std::time_t idle_limit() const { return std::max(3 * presence_interval, 600); }
};

class LoginStore
{
  public:
    static constexpr std::size_t kMaxLogins = 32;
    static constexpr std::size_t kMaxSessions = 64;
    static constexpr int kLoginLifetimeSeconds = registry::kLoginLifetimeSeconds;

    PendingLogin begin(const std::string &origin, std::time_t now);
    // The login with that id for that origin, or ERR_LOGIN_UNKNOWN.
    PendingLogin find(const std::string &login_id, const std::string &origin, std::time_t now);

    // Begun (or ServerVerified again) → ServerVerified.
    void server_verified(const std::string &login_id, const std::string &origin,
                         const VerifiedServer &server, const std::string &server_nonce,
                         std::time_t challenge_expires, std::time_t now);
    // ServerVerified → Signing, while the verified challenge is fresh.
    PendingLogin start_signing(const std::string &login_id, const std::string &origin,
                               std::time_t now);
    // Signing → Signed, or back to ServerVerified when the signing failed.
    void signed_in(const std::string &login_id, const std::string &fingerprint,
                   const std::string &token_hash, const std::string &reader,
                   std::uint64_t removal_count);
    void signing_failed(const std::string &login_id);
    // Signing → gone: the login signed a document (sign) and is used up.
    void signed_document(const std::string &login_id);
    // Signed → Confirming; then the login is used up, or back to Signed.
    PendingLogin start_confirming(const std::string &login_id, const std::string &origin,
                                  std::time_t now);
    void confirmed(const std::string &login_id, PresenceSession session);
    void confirming_failed(const std::string &login_id);

    PresenceSession find_session(const std::string &origin, const std::string &tag,
                                 std::time_t now);
    // Records the presence nonce about to be answered; ERR_SERVER_NOT_TRUSTED
    // (replay) when it is the last one answered, ERR_NOT_LOGGED_IN when the
    // session ended meanwhile.
    void claim_presence_nonce(const std::string &origin, const std::string &tag,
                              const std::string &nonce, std::time_t now);
    // Ends the origin's sessions (one tag, or all when tag is empty); returns
    // the certificates they used.
    std::vector<std::string> end_sessions(const std::string &origin, const std::string &tag);
    bool certificate_in_use(const std::string &fingerprint) const;
    // How many origins have a presence session with one of these certificates.
    std::size_t sites_using(const std::vector<std::string> &fingerprints) const;
    std::size_t session_count() const;

  private:
    void expire(std::time_t now);
    PendingLogin &find_locked(const std::string &login_id, const std::string &origin);
    PendingLogin *by_id(const std::string &login_id);
    PresenceSession *session_locked(const std::string &origin, const std::string &tag);
    std::vector<std::string> end_sessions_locked(const std::string &origin, const std::string &tag);

    mutable std::mutex mutex_;
    std::deque<PendingLogin> logins_;
    std::deque<PresenceSession> sessions_;
};

} // namespace cardbound::host

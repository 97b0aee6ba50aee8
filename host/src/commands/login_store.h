// Logins in progress and the presence sessions they turn into. Bounded: old
// entries make room for new ones, expired ones are dropped.
#pragma once

#include "trust/server_verifier.h"

#include <algorithm>
#include <ctime>
#include <deque>
#include <optional>
#include <string>

namespace cardbound::host
{

struct PendingLogin {
    std::string login_id;
    std::string origin;
    std::string host_nonce;
    std::time_t expires = 0;
    // Filled by authenticate:
    std::optional<VerifiedServer> server;
    std::string server_nonce;
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
    static constexpr int kLoginLifetimeSeconds = 300;

    PendingLogin &begin(const std::string &origin, std::time_t now);
    // The login with that id for that origin, or ERR_LOGIN_UNKNOWN.
    PendingLogin &find(const std::string &login_id, const std::string &origin, std::time_t now);
    void finish(const std::string &login_id);

    PresenceSession &add_session(PresenceSession s);
    PresenceSession &find_session(const std::string &origin, const std::string &tag,
                                  std::time_t now);
    // Ends the origin's sessions (one tag, or all when tag is empty); returns
    // the certificates they used.
    std::vector<std::string> end_sessions(const std::string &origin, const std::string &tag);
    bool certificate_in_use(const std::string &fingerprint) const;
    std::size_t session_count() const { return sessions_.size(); }

  private:
    void expire(std::time_t now);
    std::deque<PendingLogin> logins_;
    std::deque<PresenceSession> sessions_;
};

} // namespace cardbound::host

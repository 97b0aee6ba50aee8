// Step 1 of the login, and every later server message, checked BEFORE any
// PIN is asked for or any card key is used: a server that fails gets
// ERR_SERVER_NOT_TRUSTED with a reason, and nothing else happens.
#pragma once

#include "cardbound/protocol/messages.h"
#include "cardbound/protocol/registry.h"
#include "core/error.h"
#include "trust/trust_store.h"

#include <ctime>
#include <memory>

namespace cardbound::host
{

struct VerifiedServer {
    std::shared_ptr<X509> certificate; // the server's certificate
    std::string fingerprint;
    std::string subject;
};

class ServerVerifier
{
  public:
    ServerVerifier(std::shared_ptr<const TrustStore> trust, int max_clock_skew_seconds)
        : trust_(std::move(trust)), skew_(max_clock_skew_seconds)
    {
    }

    // The challenge must name the browser's origin, be fresh (issued at most
    // 5 minutes before it expires, not expired), carry the host's nonce, come
    // with a certificate chain the trust store accepts that names the origin's
    // host, and be signed by that certificate's key.
    VerifiedServer verify_challenge(const ServerChallenge &c, const Origin &origin,
                                    std::string_view host_nonce, std::time_t now) const;

    // A receipt, presence challenge or transaction challenge must be signed
    // by the server verified at login, name the same origin and be fresh.
    void verify_receipt(const Receipt &r, const VerifiedServer &server, const Origin &origin,
                        std::time_t now) const;
    void verify_presence_challenge(const PresenceChallenge &p, const VerifiedServer &server,
                                   const Origin &origin, std::time_t now) const;
    void verify_transaction_challenge(const TransactionChallenge &t, const VerifiedServer &server,
                                      const Origin &origin, std::time_t now) const;

    static constexpr int kMaxLifetimeSeconds = registry::kMaxChallengeLifetimeSeconds;

  private:
    void check_freshness(const std::string &issued, const std::string &expires,
                         std::time_t now) const;

    std::shared_ptr<const TrustStore> trust_;
    int skew_;
};

} // namespace cardbound::host

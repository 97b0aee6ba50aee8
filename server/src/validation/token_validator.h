// Validates a Web eID web-eid:1.0 authentication token (as cardbound-host or
// the Web eID app makes it) for one origin and one nonce, at a given time:
// the policy of docs/protocol.md §8, one check per rule (checks/), run in
// order; the first that fails answers with its code.
//
//   origin → certificate → key and algorithm → validity → trust path (with
//   CRLs) → purpose → revocation (OCSP) → signature
//
// Everything slow to set up (the trust anchors' store) is made once, here;
// validate() only reads, so one validator serves every thread.
#pragma once

#include "validation/checks/revocation_check.h"
#include "validation/checks/token_check.h"
#include "validation/crl_source.h"
#include "validation/identity.h"
#include "validation/trust_anchors.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

namespace cardbound::server
{

struct ValidatorConfig {
    std::shared_ptr<const TrustAnchors> anchors;   // required
    std::vector<ossl::X509Ptr> intermediates;      // untrusted path helpers
    std::vector<std::shared_ptr<CrlSource>> crls;  // checked when not empty
    std::shared_ptr<RevocationChecker> revocation; // OCSP; may be null
};

class TokenValidator
{
  public:
    explicit TokenValidator(ValidatorConfig config);

    // Throws ValidationError; returns the card holder's identity.
    Identity validate(const AuthToken &token, const std::string &origin, const std::string &nonce,
                      std::time_t at) const;

    // The token's form (ValidationError TOKEN_MALFORMED, ALGORITHM_UNSUPPORTED).
    static AuthToken parse(const nlohmann::json &token);

  private:
    std::vector<std::unique_ptr<TokenCheck>> checks_;
};

} // namespace cardbound::server

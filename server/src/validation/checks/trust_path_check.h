// The trust path (rules 8 to 12, and 15 with CRLs): from the card's
// certificate through the configured intermediates to a trust anchor, built
// and checked by OpenSSL through common/'s verify_path for a TLS client, in
// strict mode, at the validation time; every key and signature of the path
// within the algorithms policy; CRLs, when configured, for the card.
#pragma once

#include "validation/checks/token_check.h"
#include "validation/crl_source.h"
#include "validation/trust_anchors.h"

#include <memory>
#include <vector>

namespace cardbound::server
{

class TrustPathCheck : public TokenCheck
{
  public:
    TrustPathCheck(std::shared_ptr<const TrustAnchors> anchors,
                   std::vector<ossl::X509Ptr> intermediates,
                   std::vector<std::shared_ptr<CrlSource>> crls);
    // CERT_UNTRUSTED, CERT_EXPIRED, CERT_NOT_YET_VALID (a CA of the path),
    // CERT_WRONG_PURPOSE, CERT_REVOKED, REVOCATION_UNKNOWN; fills c.chain.
    void run(Candidate &c) const override;

  private:
    std::shared_ptr<const TrustAnchors> anchors_;
    std::vector<ossl::X509Ptr> intermediates_;
    std::vector<std::shared_ptr<CrlSource>> crls_;
};

} // namespace cardbound::server

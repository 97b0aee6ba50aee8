// Revocation by OCSP (rule 16), for the card's certificate, asked of its
// issuer's responder at the validation time (see ocsp_checker.h). CRLs are
// checked with the path (TrustPathCheck), where OpenSSL does it.
#pragma once

#include "validation/checks/token_check.h"

#include <memory>

namespace cardbound::server
{

// Revocation beyond CRLs plugs in here. Throws ValidationError
// (CERT_REVOKED, REVOCATION_UNKNOWN) or returns when the certificate is good.
class RevocationChecker
{
  public:
    virtual ~RevocationChecker() = default;
    virtual void check(X509 *certificate, X509 *issuer, std::time_t at) = 0;
};

class RevocationCheck : public TokenCheck
{
  public:
    explicit RevocationCheck(std::shared_ptr<RevocationChecker> checker);
    void run(Candidate &c) const override; // CERT_REVOKED, REVOCATION_UNKNOWN

  private:
    std::shared_ptr<RevocationChecker> checker_;
};

} // namespace cardbound::server

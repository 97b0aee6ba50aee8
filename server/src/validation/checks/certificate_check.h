// The card's certificate (rule 4): unverifiedCertificate is exactly one DER
// certificate with a public key OpenSSL can read.
#pragma once

#include "validation/checks/token_check.h"

namespace cardbound::server
{

class CertificateCheck : public TokenCheck
{
  public:
    void run(Candidate &c) const override; // TOKEN_MALFORMED; fills c.certificate
};

} // namespace cardbound::server

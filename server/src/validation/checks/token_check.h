// One rule of the token validation policy (docs/protocol.md §8, the table),
// as a unit: TokenValidator runs them in order over one Candidate, and the
// first that fails answers with its own code. Read
// web-eid-authtoken-validation-java's certvalidators for the same shape.
#pragma once

#include "cardbound/crypto/ossl.h"
#include "cardbound/protocol/messages.h"
#include "validation/validation_error.h"

#include <ctime>
#include <string>

namespace cardbound::server
{

// A token under validation, and what the checks learn about it on the way.
struct Candidate {
    const AuthToken &token;
    const std::string &origin; // the site's origin, the token must be for
    const std::string &nonce;  // the server nonce, the token must sign
    std::time_t at;            // the one clock: certificates, CRLs and OCSP alike
    ossl::X509Ptr certificate; // the card's, once read (CertificateCheck)
    ossl::X509Stack chain;     // leaf to anchor, once built (TrustPathCheck)

    EVP_PKEY *key() const { return X509_get0_pubkey(certificate.get()); }
};

class TokenCheck
{
  public:
    virtual ~TokenCheck() = default;
    // Returns when the rule holds; throws ValidationError when it does not.
    virtual void run(Candidate &candidate) const = 0;
};

} // namespace cardbound::server

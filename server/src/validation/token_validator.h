// Validates a Web eID web-eid:1.0 authentication token (as cardbound-host or
// the Web eID app makes it) for one origin and one nonce, at a given time.
//
// Order of the checks: the token's form, the certificate's validity at the
// validation time, its chain to a trust anchor, its purpose (keyUsage
// digitalSignature; EKU clientAuth when an EKU is present), revocation, and
// last the signature over H(H(origin) || H(nonce)).
#pragma once

#include "cardbound/crypto/ossl.h"
#include "cardbound/protocol/messages.h"
#include "validation/crl_source.h"
#include "validation/validation_error.h"

#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cardbound::server
{

struct Identity {
    std::string subject;
    std::string holder; // "GIVENNAME SURNAME", else the common name
    std::string given_name;
    std::string surname;
    std::string personal_code; // the subject's serialNumber attribute
    std::string country;
    std::string issuer;
    std::string serial_number;
    std::string fingerprint;
    std::string not_after;
    std::string algorithm;
    nlohmann::json to_json() const;
};

// Revocation beyond CRLs (OCSP) plugs in here. Throws ValidationError
// (CERT_REVOKED, REVOCATION_UNKNOWN) or returns when the certificate is good.
class RevocationChecker
{
  public:
    virtual ~RevocationChecker() = default;
    virtual void check(X509 *certificate, X509 *issuer, std::time_t at) = 0;
};

struct ValidatorConfig {
    std::vector<ossl::X509Ptr> trust_anchors;      // roots or intermediates
    std::vector<ossl::X509Ptr> intermediates;      // untrusted chain helpers
    std::vector<std::shared_ptr<CrlSource>> crls;  // checked when not empty
    std::shared_ptr<RevocationChecker> revocation; // may be null
};

class TokenValidator
{
  public:
    explicit TokenValidator(ValidatorConfig config);

    // Throws ValidationError; returns the card holder's identity.
    Identity validate(const AuthToken &token, const std::string &origin, const std::string &nonce,
                      std::time_t at) const;

    // Parses the JSON form (ValidationError TOKEN_MALFORMED on failure).
    static AuthToken parse(const nlohmann::json &token);

  private:
    ValidatorConfig config_;
};

} // namespace cardbound::server

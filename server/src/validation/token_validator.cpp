#include "validation/token_validator.h"

#include "validation/checks/certificate_check.h"
#include "validation/checks/key_check.h"
#include "validation/checks/origin_check.h"
#include "validation/checks/purpose_check.h"
#include "validation/checks/signature_check.h"
#include "validation/checks/token_form.h"
#include "validation/checks/trust_path_check.h"
#include "validation/checks/validity_check.h"

namespace cardbound::server
{

TokenValidator::TokenValidator(ValidatorConfig config)
{
    checks_.push_back(std::make_unique<OriginCheck>());
    checks_.push_back(std::make_unique<CertificateCheck>());
    checks_.push_back(std::make_unique<KeyCheck>());
    checks_.push_back(std::make_unique<ValidityCheck>());
    checks_.push_back(std::make_unique<TrustPathCheck>(
        std::move(config.anchors), std::move(config.intermediates), std::move(config.crls)));
    checks_.push_back(std::make_unique<PurposeCheck>());
    if (config.revocation)
        checks_.push_back(std::make_unique<RevocationCheck>(std::move(config.revocation)));
    checks_.push_back(std::make_unique<SignatureCheck>());
}

AuthToken TokenValidator::parse(const nlohmann::json &token)
{
    return parse_token(token);
}

Identity TokenValidator::validate(const AuthToken &token, const std::string &origin,
                                  const std::string &nonce, std::time_t at) const
{
    Candidate candidate{token, origin, nonce, at, nullptr, nullptr};
    for (const auto &check : checks_)
        check->run(candidate);
    return identity_of(candidate.certificate.get(), token.algorithm);
}

} // namespace cardbound::server

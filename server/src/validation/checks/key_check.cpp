#include "validation/checks/key_check.h"

#include "cardbound/crypto/cert_path.h"
#include "cardbound/crypto/certificate.h"

namespace cardbound::server
{

namespace
{

// The curve an ECDSA algorithm is defined with (JWA, RFC 7518 §3.4).
const char *curve_of(Algorithm alg)
{
    switch (alg) {
    case Algorithm::ES256: return "P-256";
    case Algorithm::ES384: return "P-384";
    case Algorithm::ES512: return "P-521";
    default: return nullptr;
    }
}

} // namespace

void KeyCheck::run(Candidate &c) const
{
    EVP_PKEY *key = c.key();
    if (auto why = key_policy_problem(key); !why.empty())
        refuse(ValidationCode::AlgorithmUnsupported, "the card's certificate has " + why);
    std::string alg(to_string(c.token.algorithm));
    if (key_kind_of(c.token.algorithm) == KeyKind::RSA) {
        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
            refuse(ValidationCode::AlgorithmUnsupported, alg + " needs an RSA key");
        return;
    }
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || curve_name(key) != curve_of(c.token.algorithm))
        refuse(ValidationCode::AlgorithmUnsupported,
               alg + " needs an EC key on " + curve_of(c.token.algorithm));
}

} // namespace cardbound::server

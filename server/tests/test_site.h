// Test helper: the two halves of a test site's RelyingParty that every
// relying-party test builds the same way: the server's identity (its key
// and chain, signing ES256) and a token validator that trusts the test CA
// alone.
#pragma once

#include "cardbound/crypto/certificate.h"
#include "session/relying_party.h"

#include <memory>
#include <vector>

namespace cardbound::server::testing
{

inline ServerIdentity server_identity(EVP_PKEY *key, X509 *cert, X509 *ca)
{
    ServerIdentity id;
    EVP_PKEY_up_ref(key);
    id.key.reset(key);
    id.chain = {certificate_der(cert), certificate_der(ca)};
    id.algorithm = Algorithm::ES256;
    return id;
}

inline std::shared_ptr<TokenValidator> validator_trusting(X509 *ca)
{
    ValidatorConfig vc;
    std::vector<ossl::X509Ptr> anchors;
    X509_up_ref(ca);
    anchors.emplace_back(ca);
    vc.anchors = std::make_shared<const TrustAnchors>(std::move(anchors), "the test CA");
    return std::make_shared<TokenValidator>(std::move(vc));
}

} // namespace cardbound::server::testing

// Test helper: what every relying-party test builds the same way: the
// test site's PKI in memory, whose card key plays the card; the server's
// identity (its key and chain, signing ES256); and a token validator that
// trusts the test CA alone.
#pragma once

#include "cardbound/crypto/certificate.h"
#include "cardbound/crypto/signature.h"
#include "session/relying_party.h"
#include "test_pki.h"

#include <memory>
#include <string>
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

// A CA, the server's certificate (localhost) and a card holder's, made in
// memory; card_key signs what the card would, for `origin`.
struct TestPki {
    std::string origin = "https://localhost:8443";
    ossl::Pkey ca_key = test::make_ec_key("P-384");
    ossl::X509Ptr ca = test::make_certificate({"CA", {}, true}, ca_key.get(), nullptr, nullptr);
    ossl::Pkey server_key = test::make_ec_key("P-256");
    ossl::X509Ptr server_cert = test::make_certificate({"localhost", {"localhost"}},
                                                       server_key.get(), ca.get(), ca_key.get());
    ossl::Pkey card_key = test::make_ec_key("P-256");
    ossl::X509Ptr card_cert = card_certificate("Card,Holder,1", card_key.get());

    // A card holder's (clientAuth) certificate for `key`, from the test CA.
    ossl::X509Ptr card_certificate(const std::string &name, EVP_PKEY *key) const
    {
        test::CertSpec holder{name, {}};
        holder.eku = "clientAuth";
        return test::make_certificate(holder, key, ca.get(), ca_key.get());
    }

    ServerIdentity identity() const
    {
        return server_identity(server_key.get(), server_cert.get(), ca.get());
    }

    // The card's login token for the server's `nonce` (another key or
    // certificate when given).
    nlohmann::json token_for(const std::string &nonce, EVP_PKEY *key = nullptr,
                             X509 *cert = nullptr) const
    {
        AuthToken t;
        t.certificate = certificate_der(cert ? cert : card_cert.get());
        t.algorithm = Algorithm::ES256;
        t.signature = sign_digest(key ? key : card_key.get(), t.algorithm,
                                  login_digest(t.algorithm, origin, nonce));
        t.app_version = "test";
        return t.to_json();
    }

    // The card's presence proof of session `tag` for `nonce`.
    nlohmann::json proof_for(const std::string &tag, const std::string &nonce,
                             EVP_PKEY *key = nullptr) const
    {
        PresenceProof p;
        p.session_tag = tag;
        p.nonce = nonce;
        p.algorithm = Algorithm::ES256;
        p.signature = sign_digest(key ? key : card_key.get(), p.algorithm,
                                  presence_digest(p.algorithm, origin, tag, nonce));
        return p.to_json();
    }
};

} // namespace cardbound::server::testing

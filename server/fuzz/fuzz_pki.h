// What both server fuzz targets need: a small PKI made at start (a root CA,
// a card under it, the server's own key and certificate) and a token the
// card signed, so that inputs close to a valid one reach every check.
#pragma once

#include "cardbound/crypto/certificate.h"
#include "cardbound/protocol/messages.h"
#include "test_pki.h"
#include "validation/token_validator.h"

namespace cardbound::fuzz
{

inline const std::string kOrigin = "https://localhost:8443";

struct FuzzPki {
    ossl::Pkey root_key = test::make_ec_key("P-256");
    ossl::X509Ptr root;
    ossl::Pkey card_key = test::make_ec_key("P-256");
    ossl::X509Ptr card;

    FuzzPki()
    {
        test::CertSpec ca{"Fuzz Root", {}};
        ca.is_ca = true;
        root = test::make_certificate(ca, root_key.get(), nullptr, nullptr);
        test::CertSpec holder{"Fuzz,Card,1", {}};
        holder.eku = "clientAuth";
        card = test::make_certificate(holder, card_key.get(), root.get(), root_key.get());
    }

    server::ValidatorConfig validator_config() const
    {
        server::ValidatorConfig c;
        std::vector<ossl::X509Ptr> anchors;
        X509_up_ref(root.get());
        anchors.emplace_back(root.get());
        c.anchors = std::make_shared<const server::TrustAnchors>(std::move(anchors), "fuzz");
        return c;
    }

    AuthToken token(const std::string &nonce) const
    {
        AuthToken t;
        t.certificate = certificate_der(card.get());
        t.algorithm = Algorithm::ES256;
        t.signature =
            sign_digest(card_key.get(), t.algorithm, login_digest(t.algorithm, kOrigin, nonce));
        return t;
    }
};

} // namespace cardbound::fuzz

// The token validation policy of docs/protocol.md §8, rule by rule: for each
// rule a token that just passes and one that just fails, with the exact
// code. Every key, certificate and CRL is made here with OpenSSL, in memory
// or in temporary files; no bench, no key files in the repository.
#include "cardbound/crypto/cert_path.h"
#include "cardbound/crypto/certificate.h"
#include "test_pki.h"
#include "validation/checks/token_form.h"
#include "validation/crl_source.h"
#include "validation/token_validator.h"
#include "validation/trust_anchors.h"

#include "outcome.h"

#include <doctest/doctest.h>
#include <functional>
#include <optional>

using namespace cardbound;
using namespace cardbound::server;
using testing::outcome;

namespace
{

const std::string kOrigin = "https://site.example";
const std::string kNonce = "MTIzNDU2NzgxMjM0NTY3ODEyMzQ1Njc4MTIzNDU2Nzg=";

ossl::X509Ptr copy(X509 *cert)
{
    X509_up_ref(cert);
    return ossl::X509Ptr(cert);
}

std::shared_ptr<const TrustAnchors> anchors_of(X509 *cert)
{
    std::vector<ossl::X509Ptr> v;
    v.push_back(copy(cert));
    return std::make_shared<const TrustAnchors>(std::move(v), "the test anchors");
}

test::CertSpec ca_spec(const std::string &name)
{
    test::CertSpec s{name, {}};
    s.is_ca = true;
    return s;
}

test::CertSpec card_spec()
{
    test::CertSpec s{"Card,Holder,38001085718", {}};
    s.eku = "clientAuth";
    return s;
}

// A root, an issuing CA under it, and a card: what every rule varies.
struct Pki {
    std::time_t now = std::time(nullptr);
    ossl::Pkey root_key = test::make_ec_key("P-384");
    ossl::X509Ptr root =
        test::make_certificate(ca_spec("Test Root"), root_key.get(), nullptr, nullptr);
    ossl::Pkey issuer_key = test::make_ec_key("P-384");
    ossl::X509Ptr issuer;
    ossl::Pkey card_key = test::make_ec_key("P-256");
    ossl::X509Ptr card;

    Pki()
    {
        auto spec = ca_spec("Test Issuing CA");
        spec.basic_constraints = "critical,CA:TRUE,pathlen:0";
        issuer = test::make_certificate(spec, issuer_key.get(), root.get(), root_key.get());
        card = issue_card(card_spec());
    }

    ossl::X509Ptr issue_card(const test::CertSpec &spec, EVP_PKEY *key = nullptr) const
    {
        return test::make_certificate(spec, key ? key : card_key.get(), issuer.get(),
                                      issuer_key.get());
    }

    ValidatorConfig config() const
    {
        ValidatorConfig c;
        c.anchors = anchors_of(root.get());
        c.intermediates.push_back(copy(issuer.get()));
        return c;
    }
};

AuthToken token_for(X509 *cert, EVP_PKEY *key, Algorithm alg = Algorithm::ES256,
                    const std::string &origin = kOrigin)
{
    AuthToken t;
    t.certificate = certificate_der(cert);
    t.algorithm = alg;
    t.signature = sign_digest(key, alg, login_digest(alg, origin, kNonce));
    return t;
}

std::string check(const ValidatorConfig &config, const AuthToken &token, std::time_t at,
                  const std::string &origin = kOrigin)
{
    // A validator of its own each time: configs hold unique handles.
    ValidatorConfig c;
    c.anchors = config.anchors;
    for (const auto &i : config.intermediates)
        c.intermediates.push_back(copy(i.get()));
    c.crls = config.crls;
    c.revocation = config.revocation;
    TokenValidator v(std::move(c));
    return outcome([&] { v.validate(token, origin, kNonce, at); });
}

std::string card_outcome(const Pki &pki, X509 *card, EVP_PKEY *key,
                         Algorithm alg = Algorithm::ES256)
{
    return check(pki.config(), token_for(card, key, alg), pki.now);
}

std::string parsed(const nlohmann::json &j)
{
    return outcome([&] { parse_token(j); });
}

} // namespace

TEST_CASE("1. form: a web-eid:1 JSON object; unknown members ignored, appVersion optional")
{
    Pki pki;
    nlohmann::json good = token_for(pki.card.get(), pki.card_key.get()).to_json();
    CHECK(parsed(good) == "ok");
    CHECK(!good.contains("appVersion"));
    nlohmann::json later = good;
    later["appVersion"] = "https://web-eid.eu/web-eid-app/releases/2.5.0";
    later["issuerApp"] = {{"anything", 1}};
    CHECK(parsed(later) == "ok");
    for (const char *format : {"web-eid:1", "web-eid:1.0", "web-eid:1.1"}) {
        nlohmann::json j = good;
        j["format"] = format;
        CHECK(parsed(j) == "ok");
    }

    CHECK(parsed(nlohmann::json::array()) == "TOKEN_MALFORMED");
    CHECK(parsed("a string") == "TOKEN_MALFORMED");
    for (const char *member : {"unverifiedCertificate", "algorithm", "signature", "format"}) {
        nlohmann::json j = good;
        j.erase(member);
        CHECK_MESSAGE(parsed(j) == "TOKEN_MALFORMED", member);
        j[member] = 42;
        CHECK_MESSAGE(parsed(j) == "TOKEN_MALFORMED", member);
    }
    nlohmann::json j = good;
    j["format"] = "web-eid:2";
    CHECK(parsed(j) == "TOKEN_MALFORMED");
    j = good;
    j["signature"] = "not base64!";
    CHECK(parsed(j) == "TOKEN_MALFORMED");
    j = good;
    j["unverifiedCertificate"] = base64_encode(Bytes(kMaxCertificateSize + 1, 0x30));
    CHECK(parsed(j) == "TOKEN_MALFORMED");
    j = good;
    j["appVersion"] = std::string(257, 'x');
    CHECK(parsed(j) == "TOKEN_MALFORMED");
    j["appVersion"] = 2;
    CHECK(parsed(j) == "TOKEN_MALFORMED");
}

TEST_CASE("2. the algorithm is one we know, else ALGORITHM_UNSUPPORTED")
{
    Pki pki;
    nlohmann::json j = token_for(pki.card.get(), pki.card_key.get()).to_json();
    CHECK(parsed(j) == "ok");
    for (const char *alg : {"ES256K", "HS256", "none", "es256", "EdDSA"}) {
        j["algorithm"] = alg;
        CHECK_MESSAGE(parsed(j) == "ALGORITHM_UNSUPPORTED", alg);
    }
}

TEST_CASE("3. the site's origin is a canonical https origin, else ORIGIN_MISMATCH")
{
    Pki pki;
    auto token = token_for(pki.card.get(), pki.card_key.get());
    CHECK(check(pki.config(), token, pki.now) == "ok");
    for (const char *origin :
         {"http://site.example", "https://site.example/", "https://Site.example", "site.example"})
        CHECK_MESSAGE(check(pki.config(),
                            token_for(pki.card.get(), pki.card_key.get(), Algorithm::ES256, origin),
                            pki.now, origin) == "ORIGIN_MISMATCH",
                      origin);
}

TEST_CASE("4. unverifiedCertificate is one DER certificate, else TOKEN_MALFORMED")
{
    Pki pki;
    auto token = token_for(pki.card.get(), pki.card_key.get());
    CHECK(check(pki.config(), token, pki.now) == "ok");
    auto trailing = token;
    trailing.certificate.push_back(0x00);
    CHECK(check(pki.config(), trailing, pki.now) == "TOKEN_MALFORMED");
    auto cut = token;
    cut.certificate.resize(cut.certificate.size() / 2);
    CHECK(check(pki.config(), cut, pki.now) == "TOKEN_MALFORMED");
}

TEST_CASE("5. the card's key: RSA of 2048 bits or more, EC on P-256, P-384 or P-521")
{
    Pki pki;
    auto rsa2048 = test::make_rsa_key(2048);
    CHECK(card_outcome(pki, pki.issue_card(card_spec(), rsa2048.get()).get(), rsa2048.get(),
                       Algorithm::RS256) == "ok");
    auto rsa1024 = test::make_rsa_key(1024);
    CHECK(card_outcome(pki, pki.issue_card(card_spec(), rsa1024.get()).get(), rsa1024.get(),
                       Algorithm::RS256) == "ALGORITHM_UNSUPPORTED");
    auto p521 = test::make_ec_key("P-521");
    CHECK(card_outcome(pki, pki.issue_card(card_spec(), p521.get()).get(), p521.get(),
                       Algorithm::ES512) == "ok");
    auto k1 = test::make_ec_key("secp256k1");
    CHECK(card_outcome(pki, pki.issue_card(card_spec(), k1.get()).get(), k1.get(),
                       Algorithm::ES256) == "ALGORITHM_UNSUPPORTED");
}

TEST_CASE("6. the algorithm fits the key: ES256 P-256, ES384 P-384, ES512 P-521, RS/PS RSA")
{
    Pki pki;
    auto p384 = test::make_ec_key("P-384");
    auto p384_card = pki.issue_card(card_spec(), p384.get());
    CHECK(card_outcome(pki, p384_card.get(), p384.get(), Algorithm::ES384) == "ok");
    // The same key, but the token says ES256 or ES512: refused, not guessed.
    CHECK(card_outcome(pki, p384_card.get(), p384.get(), Algorithm::ES256) ==
          "ALGORITHM_UNSUPPORTED");
    CHECK(card_outcome(pki, p384_card.get(), p384.get(), Algorithm::ES512) ==
          "ALGORITHM_UNSUPPORTED");
    // ES384 made with a P-256 key, as an auditor tried it.
    AuthToken t = token_for(pki.card.get(), pki.card_key.get(), Algorithm::ES256);
    t.algorithm = Algorithm::ES384;
    CHECK(check(pki.config(), t, pki.now) == "ALGORITHM_UNSUPPORTED");
    auto rsa = test::make_rsa_key(2048);
    auto rsa_card = pki.issue_card(card_spec(), rsa.get());
    CHECK(card_outcome(pki, rsa_card.get(), rsa.get(), Algorithm::PS256) == "ok");
    CHECK(card_outcome(pki, rsa_card.get(), rsa.get(), Algorithm::RS512) == "ok");
    AuthToken es_with_rsa = token_for(rsa_card.get(), rsa.get(), Algorithm::RS256);
    es_with_rsa.algorithm = Algorithm::ES256;
    CHECK(check(pki.config(), es_with_rsa, pki.now) == "ALGORITHM_UNSUPPORTED");
    AuthToken rs_with_ec = token_for(pki.card.get(), pki.card_key.get());
    rs_with_ec.algorithm = Algorithm::RS256;
    CHECK(check(pki.config(), rs_with_ec, pki.now) == "ALGORITHM_UNSUPPORTED");
}

TEST_CASE("7. the card's certificate is valid at the validation time")
{
    Pki pki;
    auto spec = card_spec();
    spec.not_before = pki.now - 1000;
    spec.not_after = pki.now + 1000;
    auto card = pki.issue_card(spec);
    auto token = token_for(card.get(), pki.card_key.get());
    CHECK(check(pki.config(), token, spec.not_before) == "ok");
    CHECK(check(pki.config(), token, spec.not_before - 1) == "CERT_NOT_YET_VALID");
    CHECK(check(pki.config(), token, spec.not_after - 1) == "ok");
    // OpenSSL's reading, kept: the notAfter second itself is past.
    CHECK(check(pki.config(), token, spec.not_after) == "CERT_EXPIRED");
}

TEST_CASE("8. a path to a configured anchor, else CERT_UNTRUSTED; an intermediate may be one")
{
    Pki pki;
    auto token = token_for(pki.card.get(), pki.card_key.get());
    ValidatorConfig by_issuer;
    by_issuer.anchors = anchors_of(pki.issuer.get());
    CHECK(check(by_issuer, token, pki.now) == "ok");
    ValidatorConfig without_intermediate;
    without_intermediate.anchors = anchors_of(pki.root.get());
    CHECK(check(without_intermediate, token, pki.now) == "CERT_UNTRUSTED");
    Pki other;
    CHECK(check(other.config(), token, pki.now) == "CERT_UNTRUSTED");
}

TEST_CASE("9. every CA of the path is valid at the validation time")
{
    Pki pki;
    auto spec = ca_spec("Expiring Issuing CA");
    spec.not_after = pki.now + 100;
    auto issuer =
        test::make_certificate(spec, pki.issuer_key.get(), pki.root.get(), pki.root_key.get());
    ValidatorConfig config;
    config.anchors = anchors_of(pki.root.get());
    config.intermediates.push_back(copy(issuer.get()));
    auto card_spec_short = card_spec();
    card_spec_short.not_after = pki.now + 50;
    auto card = test::make_certificate(card_spec_short, pki.card_key.get(), issuer.get(),
                                       pki.issuer_key.get());
    auto token = token_for(card.get(), pki.card_key.get());
    CHECK(check(config, token, pki.now) == "ok");
    // The card (valid until +50 s) is checked first; the CA outlives it.
    auto long_card = card_spec();
    long_card.not_after = pki.now + 1000;
    auto card2 =
        test::make_certificate(long_card, pki.card_key.get(), issuer.get(), pki.issuer_key.get());
    CHECK(check(config, token_for(card2.get(), pki.card_key.get()), pki.now + 99) == "ok");
    CHECK(check(config, token_for(card2.get(), pki.card_key.get()), pki.now + 100) ==
          "CERT_EXPIRED");
}

TEST_CASE("10. pathLen and name constraints of every CA of the path")
{
    Pki pki;
    // root → issuing CA (pathlen N) → sub-CA → card
    auto with_pathlen = [&](const char *bc) {
        auto spec = ca_spec("Constrained CA");
        spec.basic_constraints = bc;
        auto ca =
            test::make_certificate(spec, pki.issuer_key.get(), pki.root.get(), pki.root_key.get());
        auto sub_key = test::make_ec_key("P-256");
        auto sub = test::make_certificate(ca_spec("Sub CA"), sub_key.get(), ca.get(),
                                          pki.issuer_key.get());
        auto card =
            test::make_certificate(card_spec(), pki.card_key.get(), sub.get(), sub_key.get());
        ValidatorConfig config;
        config.anchors = anchors_of(pki.root.get());
        config.intermediates.push_back(copy(ca.get()));
        config.intermediates.push_back(copy(sub.get()));
        return check(config, token_for(card.get(), pki.card_key.get()), pki.now);
    };
    CHECK(with_pathlen("critical,CA:TRUE,pathlen:1") == "ok");
    CHECK(with_pathlen("critical,CA:TRUE,pathlen:0") == "CERT_UNTRUSTED");

    auto with_names = [&](const char *card_name) {
        auto spec = ca_spec("Name-constrained CA");
        spec.name_constraints = "critical,permitted;DNS:cards.example";
        auto ca =
            test::make_certificate(spec, pki.issuer_key.get(), pki.root.get(), pki.root_key.get());
        auto cs = card_spec();
        cs.dns_names = {card_name};
        auto card = test::make_certificate(cs, pki.card_key.get(), ca.get(), pki.issuer_key.get());
        ValidatorConfig config;
        config.anchors = anchors_of(pki.root.get());
        config.intermediates.push_back(copy(ca.get()));
        return check(config, token_for(card.get(), pki.card_key.get()), pki.now);
    };
    CHECK(with_names("holder.cards.example") == "ok");
    CHECK(with_names("holder.elsewhere.example") == "CERT_UNTRUSTED");
}

TEST_CASE("11. OpenSSL's strict X.509 checks: RFC 5280 as written")
{
    Pki pki;
    auto under = [&](const char *bc, bool key_ids) {
        auto spec = ca_spec("Loose CA");
        spec.basic_constraints = bc;
        spec.key_ids = key_ids;
        auto ca =
            test::make_certificate(spec, pki.issuer_key.get(), pki.root.get(), pki.root_key.get());
        auto cs = card_spec();
        cs.key_ids = key_ids; // no authorityKeyIdentifier without the CA's SKI
        auto card = test::make_certificate(cs, pki.card_key.get(), ca.get(), pki.issuer_key.get());
        ValidatorConfig config;
        config.anchors = anchors_of(pki.root.get());
        config.intermediates.push_back(copy(ca.get()));
        return check(config, token_for(card.get(), pki.card_key.get()), pki.now);
    };
    CHECK(under("critical,CA:TRUE", true) == "ok");
    // A CA's basicConstraints not critical; a CA without key identifiers.
    CHECK(under("CA:TRUE", true) == "CERT_UNTRUSTED");
    CHECK(under("critical,CA:TRUE", false) == "CERT_UNTRUSTED");
}

TEST_CASE("12. every signature of the path SHA-256 or stronger, every key RSA >= 2048 or EC "
          "P-256/384/521")
{
    Pki pki;
    auto signed_with = [&](const EVP_MD *md) {
        auto spec = card_spec();
        spec.digest = md;
        return card_outcome(pki, pki.issue_card(spec).get(), pki.card_key.get());
    };
    CHECK(signed_with(EVP_sha256()) == "ok");
    CHECK(signed_with(EVP_sha512()) == "ok");
    CHECK(signed_with(EVP_sha224()) == "CERT_UNTRUSTED");
    CHECK(signed_with(EVP_sha1()) == "CERT_UNTRUSTED");

    auto issued_by_key = [&](EVP_PKEY *ca_key) {
        auto ca =
            test::make_certificate(ca_spec("Weak CA"), ca_key, pki.root.get(), pki.root_key.get());
        auto card = test::make_certificate(card_spec(), pki.card_key.get(), ca.get(), ca_key);
        ValidatorConfig config;
        config.anchors = anchors_of(pki.root.get());
        config.intermediates.push_back(copy(ca.get()));
        return check(config, token_for(card.get(), pki.card_key.get()), pki.now);
    };
    auto rsa2048 = test::make_rsa_key(2048);
    CHECK(issued_by_key(rsa2048.get()) == "ok");
    auto rsa1024 = test::make_rsa_key(1024);
    CHECK(issued_by_key(rsa1024.get()) == "CERT_UNTRUSTED");
    auto k1 = test::make_ec_key("secp256k1");
    CHECK(issued_by_key(k1.get()) == "CERT_UNTRUSTED");

    // The anchor's own signature proves nothing and is not judged: a root
    // that signed itself with SHA-1 is still an anchor.
    auto old_spec = ca_spec("Old Root");
    old_spec.digest = EVP_sha1();
    auto old_root = test::make_certificate(old_spec, pki.root_key.get(), nullptr, nullptr);
    auto ca = test::make_certificate(ca_spec("CA under the old root"), pki.issuer_key.get(),
                                     old_root.get(), pki.root_key.get());
    auto card =
        test::make_certificate(card_spec(), pki.card_key.get(), ca.get(), pki.issuer_key.get());
    ValidatorConfig config;
    config.anchors = anchors_of(old_root.get());
    config.intermediates.push_back(copy(ca.get()));
    CHECK(check(config, token_for(card.get(), pki.card_key.get()), pki.now) == "ok");
}

TEST_CASE("13. keyUsage with digitalSignature, else CERT_WRONG_PURPOSE (also when absent)")
{
    Pki pki;
    auto with_ku = [&](const char *ku) {
        auto spec = card_spec();
        spec.key_usage = ku;
        return card_outcome(pki, pki.issue_card(spec).get(), pki.card_key.get());
    };
    CHECK(with_ku("critical,digitalSignature") == "ok");
    CHECK(with_ku("critical,digitalSignature,keyAgreement") == "ok");
    CHECK(with_ku("critical,nonRepudiation") == "CERT_WRONG_PURPOSE");
    CHECK(with_ku("-") == "CERT_WRONG_PURPOSE");
}

TEST_CASE("14. an extendedKeyUsage, when present, includes clientAuth; none is accepted")
{
    Pki pki;
    auto with_eku = [&](const char *eku) {
        auto spec = card_spec();
        spec.eku = eku;
        return card_outcome(pki, pki.issue_card(spec).get(), pki.card_key.get());
    };
    CHECK(with_eku("clientAuth") == "ok");
    CHECK(with_eku("clientAuth,emailProtection") == "ok");
    CHECK(with_eku("-") == "ok");
    CHECK(with_eku("serverAuth") == "CERT_WRONG_PURPOSE");
    CHECK(with_eku("emailProtection") == "CERT_WRONG_PURPOSE");
}

TEST_CASE("15. CRLs: a listed card is CERT_REVOKED; no current CRL of its issuer is "
          "REVOCATION_UNKNOWN")
{
    Pki pki;
    auto revoked_card = pki.issue_card(card_spec());
    auto crl = [&](std::vector<X509 *> revoked, std::time_t next, X509 *issuer = nullptr,
                   EVP_PKEY *key = nullptr) {
        ValidatorConfig config = pki.config();
        config.crls.push_back(std::make_shared<CrlSource>(test::write_crl_file(
            issuer ? issuer : pki.issuer.get(), key ? key : pki.issuer_key.get(),
            std::move(revoked), pki.now - 3600, next)));
        return config;
    };
    auto good = token_for(pki.card.get(), pki.card_key.get());
    auto bad = token_for(revoked_card.get(), pki.card_key.get());
    auto current = crl({revoked_card.get()}, pki.now + 3600);
    CHECK(check(current, good, pki.now) == "ok");
    CHECK(check(current, bad, pki.now) == "CERT_REVOKED");
    // Past its nextUpdate at the validation time: nothing is known.
    auto stale = crl({}, pki.now - 60);
    CHECK(check(stale, good, pki.now - 120) == "ok");
    CHECK(check(stale, good, pki.now) == "REVOCATION_UNKNOWN");
    // A CRL, but of another CA: none of the card's issuer.
    Pki other;
    auto foreign = crl({}, pki.now + 3600, other.issuer.get(), other.issuer_key.get());
    CHECK(check(foreign, good, pki.now) == "REVOCATION_UNKNOWN");
}

TEST_CASE("17. the signature covers this origin and this nonce with the card's key")
{
    Pki pki;
    auto token = token_for(pki.card.get(), pki.card_key.get());
    CHECK(check(pki.config(), token, pki.now) == "ok");
    AuthToken other_nonce = token;
    other_nonce.signature = sign_digest(pki.card_key.get(), Algorithm::ES256,
                                        login_digest(Algorithm::ES256, kOrigin, kNonce + "x"));
    CHECK(check(pki.config(), other_nonce, pki.now) == "SIGNATURE_INVALID");
    AuthToken other_origin =
        token_for(pki.card.get(), pki.card_key.get(), Algorithm::ES256, "https://other.example");
    CHECK(check(pki.config(), other_origin, pki.now) == "SIGNATURE_INVALID");
    auto other_key = test::make_ec_key("P-256");
    CHECK(check(pki.config(), token_for(pki.card.get(), other_key.get()), pki.now) ==
          "SIGNATURE_INVALID");
}

TEST_CASE("18. trust anchors are CA certificates, checked once at start")
{
    Pki pki;
    std::vector<ossl::X509Ptr> good;
    good.push_back(copy(pki.root.get()));
    good.push_back(copy(pki.issuer.get()));
    CHECK_NOTHROW(TrustAnchors(std::move(good), "good.pem"));

    auto refused = [&](X509 *cert) -> std::string {
        std::vector<ossl::X509Ptr> v;
        v.push_back(copy(cert));
        try {
            TrustAnchors(std::move(v), "anchors.pem");
        } catch (const std::runtime_error &e) {
            return e.what();
        }
        return "accepted";
    };
    std::string leaf = refused(pki.card.get());
    CHECK(leaf.find("anchors.pem: ") == 0);
    CHECK(leaf.find("CN=Card\\,Holder\\,38001085718") != std::string::npos);
    CHECK(leaf.find("is not a CA certificate") != std::string::npos);

    auto no_bc = ca_spec("No Constraints CA");
    no_bc.basic_constraints = "-";
    auto key = test::make_ec_key("P-256");
    CHECK(refused(test::make_certificate(no_bc, key.get(), nullptr, nullptr).get())
              .find("no basicConstraints CA:TRUE") != std::string::npos);
    auto no_sign = ca_spec("No Signing CA");
    no_sign.key_usage = "critical,digitalSignature";
    CHECK(refused(test::make_certificate(no_sign, key.get(), nullptr, nullptr).get())
              .find("without keyCertSign") != std::string::npos);
    auto no_ku = ca_spec("No keyUsage CA");
    no_ku.key_usage = "-";
    CHECK(refused(test::make_certificate(no_ku, key.get(), nullptr, nullptr).get()) == "accepted");
    auto weak = test::make_rsa_key(1024);
    CHECK(refused(test::make_certificate(ca_spec("Weak CA"), weak.get(), nullptr, nullptr).get())
              .find("an RSA key of 1024 bits") != std::string::npos);
}

TEST_CASE("the algorithms policy of common/: keys and signatures")
{
    CHECK(key_policy_problem(test::make_rsa_key(2048).get()).empty());
    CHECK(key_policy_problem(test::make_rsa_key(2047).get()) ==
          "an RSA key of 2047 bits (2048 at least)");
    for (const char *curve : {"P-256", "P-384", "P-521"})
        CHECK_MESSAGE(key_policy_problem(test::make_ec_key(curve).get()).empty(), curve);
    CHECK(key_policy_problem(test::make_ec_key("secp256k1").get()) ==
          "an EC key on secp256k1 (P-256, P-384 or P-521 only)");
    CHECK(key_policy_problem(test::make_ec_key("brainpoolP256r1").get()) ==
          "an EC key on brainpoolP256r1 (P-256, P-384 or P-521 only)");
    auto ed = ossl::Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    CHECK(key_policy_problem(ed.get()) == "a ED25519 key (RSA or EC only)");
}

// OcspChecker against the bench's OCSP responder (run under the bench
// fixture): answers are verified, and cached until their nextUpdate.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "cardbound/crypto/certificate.h"
#include "validation/ocsp_checker.h"

#include "outcome.h"
#include <cstdlib>

#include <doctest/doctest.h>
#include <functional>

using namespace cardbound;
using namespace cardbound::server;

static std::string outcome(const std::function<void()> &f)
{
    return testing::outcome(f, "good");
}

namespace
{

std::string pki(const std::string &name)
{
    const char *dir = std::getenv("CARDBOUND_PKI_DIR");
    REQUIRE_MESSAGE(dir, "run under the bench (CARDBOUND_PKI_DIR)");
    return std::string(dir) + "/" + name;
}

ossl::X509Ptr load(const std::string &name)
{
    return std::move(load_pem_certificates(pki(name)).at(0));
}

std::vector<ossl::X509Ptr> anchors()
{
    std::vector<ossl::X509Ptr> a;
    a.push_back(load("root-ca.pem"));
    return a;
}

} // namespace

TEST_CASE("good and revoked answers are cached until nextUpdate")
{
    auto issuer = load("intermediate-ca.pem");
    auto good = load("client-p256.pem");
    auto revoked = load("client-revoked.pem");
    OcspChecker checker({}, anchors());
    CHECK(outcome([&] { checker.check(good.get(), issuer.get(), 0); }) == "good");
    CHECK(outcome([&] { checker.check(good.get(), issuer.get(), 0); }) == "good");
    CHECK(outcome([&] { checker.check(revoked.get(), issuer.get(), 0); }) == "CERT_REVOKED");
    CHECK(outcome([&] { checker.check(revoked.get(), issuer.get(), 0); }) == "CERT_REVOKED");
    CHECK(checker.queries() == 2); // one per certificate
    CHECK(checker.cache_size() == 2);
}

TEST_CASE("an answer whose signer does not chain to our anchors is refused")
{
    // Verifying the responder against an unrelated anchor must fail.
    std::vector<ossl::X509Ptr> wrong;
    wrong.push_back(load("other-ca.pem"));
    auto issuer = load("intermediate-ca.pem");
    auto good = load("client-p256.pem");
    OcspChecker checker({}, std::move(wrong));
    CHECK(outcome([&] { checker.check(good.get(), issuer.get(), 0); }) == "REVOCATION_UNKNOWN");
    CHECK(checker.cache_size() == 0);
}

TEST_CASE("an unreachable responder: hard-fail refuses, soft-fail accepts, nothing is cached")
{
    auto issuer = load("intermediate-ca.pem");
    auto good = load("client-p256.pem");
    OcspConfig down;
    down.responder_url = "http://127.0.0.1:9/";
    down.timeout = std::chrono::milliseconds(2000);
    OcspChecker hard(down, anchors());
    CHECK(outcome([&] { hard.check(good.get(), issuer.get(), 0); }) == "REVOCATION_UNKNOWN");
    down.soft_fail = true;
    OcspChecker soft(down, anchors());
    CHECK(outcome([&] { soft.check(good.get(), issuer.get(), 0); }) == "good");
    CHECK(soft.cache_size() == 0);
}

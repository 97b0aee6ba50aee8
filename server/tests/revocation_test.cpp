// Revocation sources against the bench (run under the bench fixture):
// OcspChecker with the bench's OCSP responder (answers verified, cached until
// nextUpdate), and CrlSource re-reading a CRL that changed.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "cardbound/crypto/certificate.h"
#include "validation/crl_source.h"
#include "validation/ocsp_checker.h"

#include "outcome.h"
#include <cstdlib>
#include <filesystem>

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

std::shared_ptr<const TrustAnchors> anchors(const std::string &name = "root-ca.pem")
{
    std::vector<ossl::X509Ptr> a;
    a.push_back(load(name));
    return std::make_shared<const TrustAnchors>(std::move(a), name);
}

} // namespace

TEST_CASE("good and revoked answers are cached until nextUpdate")
{
    auto issuer = load("intermediate-ca.pem");
    auto good = load("client-p256.pem");
    auto revoked = load("client-revoked.pem");
    OcspChecker checker({}, anchors());
    CHECK(outcome([&] { checker.check(good.get(), issuer.get(), std::time(nullptr)); }) == "good");
    CHECK(outcome([&] { checker.check(good.get(), issuer.get(), std::time(nullptr)); }) == "good");
    CHECK(outcome([&] { checker.check(revoked.get(), issuer.get(), std::time(nullptr)); }) ==
          "CERT_REVOKED");
    CHECK(outcome([&] { checker.check(revoked.get(), issuer.get(), std::time(nullptr)); }) ==
          "CERT_REVOKED");
    CHECK(checker.queries() == 2); // one per certificate
    CHECK(checker.cache_size() == 2);
}

TEST_CASE("an answer whose signer does not chain to our anchors is refused")
{
    // Verifying the responder against an unrelated anchor must fail.
    auto issuer = load("intermediate-ca.pem");
    auto good = load("client-p256.pem");
    OcspChecker checker({}, anchors("other-ca.pem"));
    CHECK(outcome([&] { checker.check(good.get(), issuer.get(), std::time(nullptr)); }) ==
          "REVOCATION_UNKNOWN");
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
    CHECK(outcome([&] { hard.check(good.get(), issuer.get(), std::time(nullptr)); }) ==
          "REVOCATION_UNKNOWN");
    down.soft_fail = true;
    OcspChecker soft(down, anchors());
    CHECK(outcome([&] { soft.check(good.get(), issuer.get(), std::time(nullptr)); }) == "good");
    CHECK(soft.cache_size() == 0);
}

TEST_CASE("a CRL file is read again when it changes")
{
    char dir[] = "/tmp/cardbound-crl-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string path = std::string(dir) + "/ca.crl";
    std::filesystem::copy_file(pki("intermediate-ca.crl.pem"), path);
    CrlSource source(path);
    CHECK(source.loads() == 1);
    auto first = source.current(std::time(nullptr));
    REQUIRE(first);
    CHECK(source.current(std::time(nullptr)) == first); // unchanged: no reload
    CHECK(source.loads() == 1);
    std::filesystem::copy_file(pki("other-ca.crl.pem"), path,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::last_write_time(path, std::filesystem::last_write_time(path) +
                                               std::chrono::seconds(5));
    auto second = source.current(std::time(nullptr));
    CHECK(source.loads() == 2);
    CHECK(X509_NAME_cmp(X509_CRL_get_issuer(first.get()), X509_CRL_get_issuer(second.get())) != 0);
    // Past its nextUpdate the CRL is fetched again even if the file did not change.
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(second.get());
    std::time_t after = *asn1_time_to_time_t(next) + 1;
    source.current(after);
    CHECK(source.loads() == 3);
    // Gone when due again: the old CRL stays, and the next try waits 30 s
    // rather than costing every login meanwhile a failed fetch.
    std::filesystem::remove(path);
    std::time_t due = *asn1_time_to_time_t(X509_CRL_get0_nextUpdate(source.current(after).get()));
    CHECK(source.current(due + 1) != nullptr);
    CHECK(source.failed_refreshes() == 1);
    source.current(due + 2);
    source.current(due + 1 + CrlSource::kRetrySeconds - 1);
    CHECK(source.failed_refreshes() == 1);
    source.current(due + 1 + CrlSource::kRetrySeconds);
    CHECK(source.failed_refreshes() == 2);
    CHECK(source.loads() == 3);
    std::filesystem::remove_all(dir);
}

TEST_CASE("an unreadable CRL is refused at start")
{
    CHECK_THROWS_AS(CrlSource("/nonexistent/ca.crl"), std::runtime_error);
    CHECK_THROWS_AS(CrlSource("http://127.0.0.1:9/ca.crl", std::chrono::milliseconds(1000)),
                    std::runtime_error);
}

// Rule 16 of the token validation policy (docs/protocol.md §8): OCSP, with a
// responder answering in-process (OpenSSL's own OCSP response API), so each
// condition of an acceptable answer is tried both ways at a validation time
// of our choosing. The bench's real responder is in revocation_test.cpp.
#include "cardbound/crypto/certificate.h"
#include "test_pki.h"
#include "validation/ocsp_checker.h"

#include "outcome.h"

#include <doctest/doctest.h>
#include <latch>
#include <openssl/ocsp.h>
#include <thread>

using namespace cardbound;
using namespace cardbound::server;
using testing::outcome;

namespace
{

ossl::X509Ptr copy(X509 *cert)
{
    X509_up_ref(cert);
    return ossl::X509Ptr(cert);
}

// How the responder answers.
struct Answer {
    int status = V_OCSP_CERTSTATUS_GOOD;
    std::time_t this_update = 0;
    std::time_t next_update = 0; // 0: none
    bool nonce = true;
    X509 *signer = nullptr; // default: the issuer
    EVP_PKEY *signer_key = nullptr;
    int requests = 0;
};

HttpResult respond(const std::string &body, Answer &a, X509 *issuer, EVP_PKEY *issuer_key)
{
    a.requests++;
    const unsigned char *p = reinterpret_cast<const unsigned char *>(body.data());
    std::unique_ptr<OCSP_REQUEST, ossl::Deleter<OCSP_REQUEST_free>> req(
        d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(body.size())));
    REQUIRE(req);
    OCSP_CERTID *id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), 0));
    std::unique_ptr<OCSP_BASICRESP, ossl::Deleter<OCSP_BASICRESP_free>> basic(OCSP_BASICRESP_new());
    std::unique_ptr<ASN1_TIME, ossl::Deleter<ASN1_TIME_free>> this_update(
        ASN1_TIME_set(nullptr, a.this_update));
    std::unique_ptr<ASN1_TIME, ossl::Deleter<ASN1_TIME_free>> next_update(
        a.next_update ? ASN1_TIME_set(nullptr, a.next_update) : nullptr);
    OCSP_basic_add1_status(basic.get(), id, a.status, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                           a.status == V_OCSP_CERTSTATUS_REVOKED ? this_update.get() : nullptr,
                           this_update.get(), next_update.get());
    if (a.nonce)
        OCSP_copy_nonce(basic.get(), req.get());
    REQUIRE(OCSP_basic_sign(basic.get(), a.signer ? a.signer : issuer,
                            a.signer_key ? a.signer_key : issuer_key, EVP_sha256(), nullptr,
                            0) == 1);
    std::unique_ptr<OCSP_RESPONSE, ossl::Deleter<OCSP_RESPONSE_free>> resp(
        OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    unsigned char *der = nullptr;
    int len = i2d_OCSP_RESPONSE(resp.get(), &der);
    HttpResult r{200, "application/ocsp-response",
                 std::string(reinterpret_cast<char *>(der), static_cast<std::size_t>(len))};
    OPENSSL_free(der);
    return r;
}

// A root, an issuing CA and a card, and a checker whose responder is `answer`.
struct Fixture {
    std::time_t now = std::time(nullptr);
    ossl::Pkey root_key = test::make_ec_key("P-384");
    ossl::X509Ptr root;
    ossl::Pkey issuer_key = test::make_ec_key("P-256");
    ossl::X509Ptr issuer;
    ossl::Pkey card_key = test::make_ec_key("P-256");
    ossl::X509Ptr card;
    Answer answer;
    std::chrono::milliseconds delay{0}; // how long the responder takes

    Fixture()
    {
        test::CertSpec ca{"OCSP Test Root", {}};
        ca.is_ca = true;
        ca.not_before = now - 3 * 365 * 86400;
        ca.not_after = now + 365 * 86400;
        root = test::make_certificate(ca, root_key.get(), nullptr, nullptr);
        ca.common_name = "OCSP Test Issuing CA";
        issuer = test::make_certificate(ca, issuer_key.get(), root.get(), root_key.get());
        test::CertSpec holder{"Card", {}};
        holder.eku = "clientAuth";
        holder.not_before = ca.not_before;
        card = test::make_certificate(holder, card_key.get(), issuer.get(), issuer_key.get());
        answer.this_update = now - 60;
        answer.next_update = now + 3600;
    }

    OcspChecker checker(bool soft_fail = false)
    {
        OcspConfig config;
        config.responder_url = "http://ocsp.test/";
        config.soft_fail = soft_fail;
        config.transport = [this](const std::string &, const std::string &body) {
            std::this_thread::sleep_for(delay);
            return respond(body, answer, issuer.get(), issuer_key.get());
        };
        std::vector<ossl::X509Ptr> anchors;
        anchors.push_back(copy(root.get()));
        return OcspChecker(config,
                           std::make_shared<const TrustAnchors>(std::move(anchors), "root"));
    }

    std::string at(std::time_t when, bool soft_fail = false)
    {
        auto c = checker(soft_fail);
        return outcome([&] { c.check(card.get(), issuer.get(), when); }, "good");
    }
};

} // namespace

TEST_CASE("16. OCSP: good is good, revoked is CERT_REVOKED, unknown is REVOCATION_UNKNOWN")
{
    Fixture f;
    CHECK(f.at(f.now) == "good");
    f.answer.status = V_OCSP_CERTSTATUS_REVOKED;
    CHECK(f.at(f.now) == "CERT_REVOKED");
    f.answer.status = V_OCSP_CERTSTATUS_UNKNOWN;
    CHECK(f.at(f.now) == "REVOCATION_UNKNOWN");
}

TEST_CASE("16. OCSP: concurrent checks of one certificate share one request and its answer")
{
    Fixture f;
    f.delay = std::chrono::milliseconds(400);
    auto c = f.checker();
    auto check_together = [&](int n) {
        std::vector<std::string> outcomes(n);
        std::latch start(n);
        std::vector<std::thread> threads;
        for (int i = 0; i < n; i++)
            threads.emplace_back([&, i] {
                start.arrive_and_wait();
                outcomes[i] =
                    outcome([&] { c.check(f.card.get(), f.issuer.get(), f.now); }, "good");
            });
        for (auto &t : threads)
            t.join();
        return outcomes;
    };
    // An unknown status is not cached: every caller gets the one refusal...
    f.answer.status = V_OCSP_CERTSTATUS_UNKNOWN;
    CHECK(check_together(8) == std::vector<std::string>(8, "REVOCATION_UNKNOWN"));
    CHECK(c.queries() == 1);
    // ...and the next round asks again rather than keeping it.
    f.answer.status = V_OCSP_CERTSTATUS_REVOKED;
    CHECK(check_together(8) == std::vector<std::string>(8, "CERT_REVOKED"));
    CHECK(c.queries() == 2);
    CHECK(c.cache_size() == 1);
}

TEST_CASE("16. OCSP: the answer must carry our nonce")
{
    Fixture f;
    f.answer.nonce = false;
    CHECK(f.at(f.now) == "REVOCATION_UNKNOWN");
}

TEST_CASE("16. OCSP: fresh at the validation time, give or take 5 minutes, not at the wall "
          "clock's")
{
    Fixture f;
    // An answer from two years ago, valid then: good at that validation time
    // (the one clock), out of date today.
    std::time_t then = f.now - 2 * 365 * 86400;
    f.answer.this_update = then - 60;
    f.answer.next_update = then + 3600;
    CHECK(f.at(then) == "good");
    CHECK(f.at(f.now) == "REVOCATION_UNKNOWN");
    // thisUpdate just within / just beyond the skew after the validation time.
    f.answer.this_update = f.now + 300;
    f.answer.next_update = f.now + 3600;
    CHECK(f.at(f.now) == "good");
    f.answer.this_update = f.now + 301;
    CHECK(f.at(f.now) == "REVOCATION_UNKNOWN");
    // nextUpdate just within / just beyond the skew before it.
    f.answer.this_update = f.now - 3600;
    f.answer.next_update = f.now - 300;
    CHECK(f.at(f.now) == "good");
    f.answer.next_update = f.now - 301;
    CHECK(f.at(f.now) == "REVOCATION_UNKNOWN");
}

TEST_CASE("16. OCSP: signed by the issuer or a responder it delegated to, nobody else")
{
    Fixture f;
    // A delegated responder: issued by the card's CA, EKU OCSPSigning.
    ossl::Pkey responder_key = test::make_ec_key("P-256");
    test::CertSpec rs{"OCSP Responder", {}};
    rs.eku = "OCSPSigning";
    rs.not_before = f.now - 86400;
    auto responder =
        test::make_certificate(rs, responder_key.get(), f.issuer.get(), f.issuer_key.get());
    f.answer.signer = responder.get();
    f.answer.signer_key = responder_key.get();
    CHECK(f.at(f.now) == "good");
    // The same, without OCSPSigning: not a delegate.
    rs.eku = "clientAuth";
    auto not_delegated =
        test::make_certificate(rs, responder_key.get(), f.issuer.get(), f.issuer_key.get());
    f.answer.signer = not_delegated.get();
    CHECK(f.at(f.now) == "REVOCATION_UNKNOWN");
    // A key of nobody's.
    ossl::Pkey stranger_key = test::make_ec_key("P-256");
    test::CertSpec ss{"Stranger", {}};
    ss.eku = "OCSPSigning";
    auto stranger = test::make_certificate(ss, stranger_key.get(), nullptr, nullptr);
    f.answer.signer = stranger.get();
    f.answer.signer_key = stranger_key.get();
    CHECK(f.at(f.now) == "REVOCATION_UNKNOWN");
}

TEST_CASE("16. OCSP: hard-fail by default; soft-fail accepts what cannot be known, never a "
          "revoked card")
{
    Fixture f;
    f.answer.nonce = false;
    CHECK(f.at(f.now, false) == "REVOCATION_UNKNOWN");
    CHECK(f.at(f.now, true) == "good");
    f.answer.nonce = true;
    f.answer.status = V_OCSP_CERTSTATUS_REVOKED;
    CHECK(f.at(f.now, true) == "CERT_REVOKED");
}

TEST_CASE("16. OCSP: answers are kept until their nextUpdate, by the validation time")
{
    Fixture f;
    auto c = f.checker();
    CHECK(outcome([&] { c.check(f.card.get(), f.issuer.get(), f.now); }, "good") == "good");
    CHECK(outcome([&] { c.check(f.card.get(), f.issuer.get(), f.now + 3599); }, "good") == "good");
    CHECK(f.answer.requests == 1);
    CHECK(outcome([&] { c.check(f.card.get(), f.issuer.get(), f.now + 3600); }, "good") == "good");
    CHECK(f.answer.requests == 2);
}

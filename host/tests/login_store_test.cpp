// The login state machine: Begun → ServerVerified → Signing → Signed →
// Confirming → a presence session, each step only from the one before.
#include "commands/login_store.h"

#include <doctest/doctest.h>

using namespace cardbound::host;

namespace
{

constexpr std::time_t kNow = 1'800'000'000;
const std::string kOrigin = "https://bank.example";

ErrorCode code_of(const std::function<void()> &fn)
{
    try {
        fn();
    } catch (const HostError &e) {
        return e.code;
    }
    FAIL("no error");
    return ErrorCode::Internal;
}

} // namespace

TEST_CASE("a login goes through its states in order, one parse of the challenge")
{
    LoginStore store;
    PendingLogin l = store.begin(kOrigin, kNow);
    const std::string id = l.login_id;
    CHECK(l.state == PendingLogin::State::Begun);
    // No signing, no confirming before the server is verified.
    CHECK(code_of([&] { store.start_signing(id, kOrigin, kNow); }) == ErrorCode::BadRequest);
    CHECK(code_of([&] { store.start_confirming(id, kOrigin, kNow); }) == ErrorCode::BadRequest);

    store.server_verified(id, kOrigin, VerifiedServer{}, "nonce", kNow + 60, kNow);
    CHECK(store.find(id, kOrigin, kNow).server_nonce == "nonce");
    PendingLogin signing = store.start_signing(id, kOrigin, kNow);
    CHECK(signing.state == PendingLogin::State::Signing);
    // One signature at a time; a wrong PIN goes back for another try.
    CHECK(code_of([&] { store.start_signing(id, kOrigin, kNow); }) == ErrorCode::BadRequest);
    store.signing_failed(id);
    CHECK_NOTHROW(store.start_signing(id, kOrigin, kNow));
    store.signed_in(id, "fp", "hash", "reader", 3);
    CHECK(code_of([&] { store.start_signing(id, kOrigin, kNow); }) == ErrorCode::BadRequest);
    CHECK(code_of([&] {
              store.server_verified(id, kOrigin, VerifiedServer{}, "other", kNow + 60, kNow);
          }) == ErrorCode::BadRequest);

    PendingLogin confirming = store.start_confirming(id, kOrigin, kNow);
    CHECK(confirming.certificate_fingerprint == "fp");
    CHECK(confirming.removal_count == 3);
    CHECK(code_of([&] { store.start_confirming(id, kOrigin, kNow); }) == ErrorCode::BadRequest);
    store.confirming_failed(id);
    CHECK_NOTHROW(store.start_confirming(id, kOrigin, kNow));
    PresenceSession s;
    s.origin = kOrigin;
    s.session_tag = "tag";
    s.last_nonce = "n0";
    s.expires = kNow + 600;
    store.confirmed(id, s);
    CHECK(code_of([&] { store.find(id, kOrigin, kNow); }) == ErrorCode::LoginUnknown);
    CHECK(store.session_count() == 1);
}

TEST_CASE("authenticate re-checks the verified challenge's freshness, and nothing else")
{
    LoginStore store;
    const std::string id = store.begin(kOrigin, kNow).login_id;
    store.server_verified(id, kOrigin, VerifiedServer{}, "nonce", kNow + 60, kNow);
    try {
        store.start_signing(id, kOrigin, kNow + 60);
        FAIL("an expired challenge was accepted");
    } catch (const HostError &e) {
        CHECK(e.code == ErrorCode::ServerNotTrusted);
        CHECK(e.details["reason"] == "expired");
    }
    // Another origin never sees the login.
    CHECK(code_of([&] { store.start_signing(id, "https://evil.example", kNow); }) ==
          ErrorCode::LoginUnknown);
}

TEST_CASE("a presence nonce is answered once, and not after the session ended")
{
    LoginStore store;
    const std::string id = store.begin(kOrigin, kNow).login_id;
    store.server_verified(id, kOrigin, VerifiedServer{}, "nonce", kNow + 60, kNow);
    store.start_signing(id, kOrigin, kNow);
    store.signed_in(id, "fp", "hash", "reader", 0);
    store.start_confirming(id, kOrigin, kNow);
    PresenceSession s;
    s.origin = kOrigin;
    s.session_tag = "tag";
    s.certificate_fingerprint = "fp";
    s.last_nonce = "n0";
    s.expires = kNow + 600;
    store.confirmed(id, s);

    CHECK(code_of([&] { store.claim_presence_nonce(kOrigin, "tag", "n0", kNow); }) ==
          ErrorCode::ServerNotTrusted);
    CHECK_NOTHROW(store.claim_presence_nonce(kOrigin, "tag", "n1", kNow));
    CHECK(code_of([&] { store.claim_presence_nonce(kOrigin, "tag", "n1", kNow); }) ==
          ErrorCode::ServerNotTrusted);
    CHECK(store.certificate_in_use("fp"));
    CHECK(store.end_sessions(kOrigin, "") == std::vector<std::string>{"fp"});
    CHECK(code_of([&] { store.claim_presence_nonce(kOrigin, "tag", "n2", kNow); }) ==
          ErrorCode::NotLoggedIn);
}

TEST_CASE("a document signature uses the login up: one verified challenge, one signature")
{
    LoginStore store;
    const std::string id = store.begin(kOrigin, kNow).login_id;
    store.server_verified(id, kOrigin, VerifiedServer{}, "nonce", kNow + 60, kNow);
    store.start_signing(id, kOrigin, kNow);
    store.signing_failed(id); // a wrong PIN: another try
    store.start_signing(id, kOrigin, kNow);
    store.signed_document(id);
    CHECK(code_of([&] { store.start_signing(id, kOrigin, kNow); }) == ErrorCode::LoginUnknown);
    CHECK(code_of([&] { store.start_confirming(id, kOrigin, kNow); }) == ErrorCode::LoginUnknown);
}

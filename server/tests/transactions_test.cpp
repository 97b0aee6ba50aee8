// Transaction confirmation in the relying party, with the memory store: a
// key in memory plays the card, as in relying_party_test.cpp; each refusal
// has its own code. The same against Redis: redis_store_test.cpp.
#include "cardbound/crypto/certificate.h"
#include "session/relying_party.h"
#include "session/session_key.h"
#include "session/transactions.h"
#include "test_pki.h"
#include "test_site.h"

#include "outcome.h"

#include <atomic>
#include <doctest/doctest.h>
#include <thread>
#include <vector>

using namespace cardbound;
using namespace cardbound::server;
using testing::outcome;

namespace
{

const std::string kOrigin = "https://localhost:8443";
const std::string kText = "Pay 1,200.00 EUR to ACME Ltd (EE471000001020145685)";

// The test site's PKI (test_site.h) with the session's card, and another
// card of the same CA.
struct Fixture : testing::TestPki {
    ossl::Pkey other_key = test::make_ec_key("P-256");
    ossl::X509Ptr other_cert = card_certificate("Card,Other,2", other_key.get());
    std::shared_ptr<MemoryTransactionStore> store;
    std::unique_ptr<RelyingParty> rp;
    std::unique_ptr<Transactions> tx;
    std::time_t now = std::time(nullptr);

    // Presence every 30 s with 10 s grace; transactions live 20 s, so a
    // session outlives its questions.
    explicit Fixture(std::size_t per_session = TransactionStore::kDefaultMaxPerSession,
                     std::size_t total = MemoryTransactionStore::kDefaultMaxTotal)
        : store(std::make_shared<MemoryTransactionStore>(per_session, total))
    {
        rp = std::make_unique<RelyingParty>(RelyingPartyConfig{kOrigin, 120, 30, 10}, identity(),
                                            testing::validator_trusting(ca.get()),
                                            std::make_shared<MemoryNonceStore>(),
                                            std::make_shared<MemorySessionStore>());
        tx = std::make_unique<Transactions>(*rp, store, 20);
    }

    // A login with `key` and `cert` (the session's card by default), confirmed.
    RelyingParty::Login login(bool confirm = true, EVP_PKEY *key = nullptr, X509 *cert = nullptr)
    {
        ServerChallenge c = rp->challenge(base64_encode(random_bytes(32)), now);
        auto l = rp->login(token_for(c.server_nonce, key, cert), c.server_nonce, kOrigin, now);
        if (confirm)
            rp->confirm(l.session.id, proof_for(l.session.tag, l.receipt.presence_nonce, key), now);
        return l;
    }

    // What the card sends back for `c`; each part may be swapped for the
    // test's own: what the card signs (`signed_text`), what the page says it
    // confirmed (`text`), the certificate, the key.
    struct Answer {
        std::optional<std::string> text, signed_text, tag, origin;
        EVP_PKEY *key = nullptr;
        X509 *cert = nullptr;
        Algorithm algorithm = Algorithm::ES256;
    };
    nlohmann::json confirmation_for(const TransactionChallenge &c, const Answer &a) const
    {
        TransactionConfirmation t;
        t.session_tag = a.tag.value_or(c.session_tag);
        t.text = a.text.value_or(c.text);
        t.nonce = c.nonce;
        t.certificate = certificate_der(a.cert ? a.cert : card_cert.get());
        t.algorithm = a.algorithm;
        t.signature =
            sign_digest(a.key ? a.key : card_key.get(), Algorithm::ES256,
                        transaction_digest(Algorithm::ES256, a.origin.value_or(c.origin),
                                           c.session_tag, a.signed_text.value_or(t.text), c.nonce));
        return t.to_json();
    }
    nlohmann::json confirmation_for(const TransactionChallenge &c) const
    {
        return confirmation_for(c, Answer{});
    }
};

} // namespace

TEST_CASE("transactions: a challenge signed by the server, confirmed by the session's card")
{
    Fixture f;
    auto l = f.login();
    TransactionChallenge c = f.tx->challenge(l.session.id, kText, f.now);
    CHECK(c.origin == kOrigin);
    CHECK(c.session_tag == l.session.tag);
    CHECK(c.text == kText);
    CHECK(base64_decode(c.nonce)->size() == 32);
    CHECK(*parse_time(c.expires_at) - *parse_time(c.issued_at) == 20);
    CHECK(
        verify_message(f.server_key.get(), c.algorithm, as_bytes(c.signing_input()), c.signature));
    // What a host parses: the message's own strict parser takes it.
    CHECK(TransactionChallenge::from_json(c.to_json()).signing_input() == c.signing_input());
    CHECK(f.store->size() == 1);

    auto confirmed = f.tx->confirm(l.session.id, f.confirmation_for(c), f.now + 5);
    CHECK(confirmed.text == kText);
    CHECK(confirmed.nonce == c.nonce);
    CHECK(confirmed.session.tag == l.session.tag);
    CHECK(confirmed.session.identity.holder == "Card,Holder,1");
    CHECK(f.store->size() == 0);
    // The session goes on as it was.
    CHECK(outcome([&] { f.rp->session(l.session.id, f.now + 5); }) == "ok");
}

TEST_CASE("transactions: non-ASCII text is confirmed byte for byte; 400 bytes is the most")
{
    Fixture f;
    auto l = f.login();
    std::string euro;
    for (int i = 0; i < 133; i++)
        euro += "\xE2\x82\xAC"; // U+20AC, 3 bytes: 399
    for (const std::string &text :
         {std::string("Maksa 1 200 € ettevõttele Öö & Ülo <b>AS</b>"), euro + "x"}) {
        CAPTURE(text);
        TransactionChallenge c = f.tx->challenge(l.session.id, text, f.now);
        CHECK(outcome([&] { f.tx->confirm(l.session.id, f.confirmation_for(c), f.now); }) == "ok");
    }
}

TEST_CASE("transactions: texts the trusted window would not show as they are are refused")
{
    Fixture f;
    auto l = f.login();
    std::string long_text(401, 'a');
    std::string tricky[] = {
        "",
        long_text,
        "Pay 10 EUR\nto ACME", // a second line
        "Pay 10 EUR\r",        // a carriage return
        "Pay\t10 EUR",         // a tab
        "Pay 10 EUR to \xE2\x80\xAE"
        "EMCA",                               // U+202E RIGHT-TO-LEFT OVERRIDE
        "Pay 10 EUR\xE2\x80\x8B to ACME",     // U+200B ZERO WIDTH SPACE
        "Pay 10 EUR\xE2\x80\xA8 to ACME",     // U+2028 LINE SEPARATOR
        "Pay 10 EUR \xC2\x85",                // U+0085 NEXT LINE (C1)
        std::string("Pay 10 EUR\0 to X", 16), // a NUL inside
        "Pay 10 \xFF EUR",                    // not UTF-8
        "Pay 10 \xC0\xA0 EUR",                // an overlong encoding
    };
    for (const std::string &text : tricky) {
        CAPTURE(text.size());
        CHECK(outcome([&] { f.tx->challenge(l.session.id, text, f.now); }) ==
              "TRANSACTION_TEXT_INVALID");
    }
    CHECK(f.store->size() == 0); // nothing was asked
}

TEST_CASE("transactions: only a live, confirmed session is asked or answers")
{
    Fixture f;
    CHECK(outcome([&] { f.tx->challenge(base64url_encode(random_bytes(32)), kText, f.now); }) ==
          "SESSION_UNKNOWN");
    auto unconfirmed = f.login(false);
    CHECK(outcome([&] { f.tx->challenge(unconfirmed.session.id, kText, f.now); }) ==
          "NOT_CONFIRMED");

    auto l = f.login();
    TransactionChallenge c = f.tx->challenge(l.session.id, kText, f.now);
    auto answer = f.confirmation_for(c);
    CHECK(outcome([&] { f.tx->confirm(unconfirmed.session.id, answer, f.now); }) ==
          "NOT_CONFIRMED");
    // Past the presence deadline (30 + 10 s) the session ends, question or not.
    CHECK(outcome([&] { f.tx->confirm(l.session.id, answer, f.now + 41); }) == "PRESENCE_LATE");
    CHECK(outcome([&] { f.tx->confirm(l.session.id, answer, f.now + 41); }) == "SESSION_UNKNOWN");

    auto l2 = f.login();
    TransactionChallenge c2 = f.tx->challenge(l2.session.id, kText, f.now);
    f.rp->logout(l2.session.id);
    CHECK(outcome([&] { f.tx->confirm(l2.session.id, f.confirmation_for(c2), f.now); }) ==
          "SESSION_UNKNOWN");
}

TEST_CASE("transactions: a malformed confirmation is TOKEN_MALFORMED and uses nothing up")
{
    Fixture f;
    auto l = f.login();
    TransactionChallenge c = f.tx->challenge(l.session.id, kText, f.now);
    auto good = f.confirmation_for(c);
    auto extra = good, wrong_format = good, no_nonce = good, bad_base64 = good, bad_text = good;
    extra["more"] = 1;
    wrong_format["format"] = "cardbound-presence:1";
    no_nonce.erase("nonce");
    bad_base64["signature"] = "not base64!";
    bad_text["text"] = "two\nlines";
    for (const nlohmann::json &j :
         {nlohmann::json(), nlohmann::json("text"), nlohmann::json::array(), extra, wrong_format,
          no_nonce, bad_base64, bad_text}) {
        CAPTURE(j.dump());
        CHECK(outcome([&] { f.tx->confirm(l.session.id, j, f.now); }) == "TOKEN_MALFORMED");
    }
    CHECK(outcome([&] { f.tx->confirm(l.session.id, good, f.now); }) == "ok");
}

TEST_CASE("transactions: single use; a replay, an unknown nonce, an expired one")
{
    Fixture f;
    auto l = f.login();
    TransactionChallenge c = f.tx->challenge(l.session.id, kText, f.now);
    auto answer = f.confirmation_for(c);
    CHECK(outcome([&] { f.tx->confirm(l.session.id, answer, f.now); }) == "ok");
    CHECK(outcome([&] { f.tx->confirm(l.session.id, answer, f.now); }) == "TRANSACTION_UNKNOWN");

    TransactionChallenge never = c;
    never.nonce = base64_encode(random_bytes(32));
    CHECK(outcome([&] { f.tx->confirm(l.session.id, f.confirmation_for(never), f.now); }) ==
          "TRANSACTION_UNKNOWN");

    // Good through its expiresAt's second, not after.
    TransactionChallenge on_time = f.tx->challenge(l.session.id, kText, f.now);
    CHECK(outcome([&] { f.tx->confirm(l.session.id, f.confirmation_for(on_time), f.now + 20); }) ==
          "ok");
    TransactionChallenge late = f.tx->challenge(l.session.id, kText, f.now);
    CHECK(outcome([&] { f.tx->confirm(l.session.id, f.confirmation_for(late), f.now + 21); }) ==
          "TRANSACTION_UNKNOWN");
}

TEST_CASE("transactions: another session's question is neither answered nor used up")
{
    Fixture f;
    auto mine = f.login(), theirs = f.login();
    TransactionChallenge c = f.tx->challenge(theirs.session.id, kText, f.now);
    auto answer = f.confirmation_for(c);
    CHECK(outcome([&] { f.tx->confirm(mine.session.id, answer, f.now); }) == "TRANSACTION_UNKNOWN");
    CHECK(outcome([&] { f.tx->confirm(theirs.session.id, answer, f.now); }) == "ok");

    // This session's own question, answered naming another session's tag:
    // refused, and used up.
    TransactionChallenge own = f.tx->challenge(mine.session.id, kText, f.now);
    Fixture::Answer other_tag;
    other_tag.tag = theirs.session.tag;
    CHECK(outcome([&] {
              f.tx->confirm(mine.session.id, f.confirmation_for(own, other_tag), f.now);
          }) == "TRANSACTION_UNKNOWN");
    CHECK(outcome([&] { f.tx->confirm(mine.session.id, f.confirmation_for(own), f.now); }) ==
          "TRANSACTION_UNKNOWN");
}

TEST_CASE("transactions: a changed text, another card, a bad signature, each its own code")
{
    Fixture f;
    auto l = f.login();
    auto refused = [&](const Fixture::Answer &a) {
        TransactionChallenge c = f.tx->challenge(l.session.id, kText, f.now);
        std::string got =
            outcome([&] { f.tx->confirm(l.session.id, f.confirmation_for(c, a), f.now); });
        // Whatever the refusal, the question had its one try.
        CHECK(outcome([&] { f.tx->confirm(l.session.id, f.confirmation_for(c), f.now); }) ==
              "TRANSACTION_UNKNOWN");
        return got;
    };

    Fixture::Answer changed; // the page swapped the text, and the card signed what it showed
    changed.text = "Pay 9,999.00 EUR to EVIL Ltd";
    CHECK(refused(changed) == "TRANSACTION_TEXT_CHANGED");
    Fixture::Answer claimed; // says the issued text, but the card signed another
    claimed.signed_text = "Pay 9,999.00 EUR to EVIL Ltd";
    CHECK(refused(claimed) == "TRANSACTION_SIGNATURE_INVALID");

    Fixture::Answer other_card; // a valid signature of another card, with its certificate
    other_card.key = f.other_key.get();
    other_card.cert = f.other_cert.get();
    CHECK(refused(other_card) == "TRANSACTION_WRONG_CARD");
    Fixture::Answer other_cert_only; // the session's key, another certificate
    other_cert_only.cert = f.other_cert.get();
    CHECK(refused(other_cert_only) == "TRANSACTION_WRONG_CARD");

    Fixture::Answer other_key; // the session's certificate, another key
    other_key.key = f.other_key.get();
    CHECK(refused(other_key) == "TRANSACTION_SIGNATURE_INVALID");
    Fixture::Answer other_origin;
    other_origin.origin = "https://evil.example";
    CHECK(refused(other_origin) == "TRANSACTION_SIGNATURE_INVALID");
    Fixture::Answer other_algorithm;
    other_algorithm.algorithm = Algorithm::ES384;
    CHECK(refused(other_algorithm) == "TRANSACTION_SIGNATURE_INVALID");

    // A presence signature of the same parts is no confirmation (the digest's prefix).
    TransactionChallenge c = f.tx->challenge(l.session.id, kText, f.now);
    auto answer = f.confirmation_for(c);
    answer["signature"] = base64_encode(
        sign_digest(f.card_key.get(), Algorithm::ES256,
                    presence_digest(Algorithm::ES256, kOrigin, c.session_tag, c.nonce)));
    CHECK(outcome([&] { f.tx->confirm(l.session.id, answer, f.now); }) ==
          "TRANSACTION_SIGNATURE_INVALID");
}

TEST_CASE("transactions: the other card's own session confirms with it")
{
    Fixture f;
    auto l = f.login(true, f.other_key.get(), f.other_cert.get());
    TransactionChallenge c = f.tx->challenge(l.session.id, kText, f.now);
    Fixture::Answer a;
    a.key = f.other_key.get();
    a.cert = f.other_cert.get();
    CHECK(outcome([&] { f.tx->confirm(l.session.id, f.confirmation_for(c, a), f.now); }) == "ok");
}

TEST_CASE("transactions: one confirmation on 16 threads counts once")
{
    Fixture f;
    auto l = f.login();
    TransactionChallenge c = f.tx->challenge(l.session.id, kText, f.now);
    auto answer = f.confirmation_for(c);
    std::atomic<int> ok{0}, unknown{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; i++)
        threads.emplace_back([&] {
            std::string got = outcome([&] { f.tx->confirm(l.session.id, answer, f.now); });
            (got == "ok" ? ok : unknown)++;
        });
    for (auto &t : threads)
        t.join();
    CHECK(ok == 1);
    CHECK(unknown == 15);
}

TEST_CASE("transactions: the memory store is bounded a session and in all")
{
    Fixture f(3, 5);
    auto a = f.login(), b = f.login();
    std::vector<TransactionChallenge> asked;
    for (int i = 0; i < 4; i++)
        asked.push_back(f.tx->challenge(a.session.id, kText + " #" + std::to_string(i), f.now + i));
    CHECK(f.store->size() == 3);
    CHECK(f.store->dropped() == 1);
    // The first one asked was pushed out; the others stand.
    CHECK(outcome([&] { f.tx->confirm(a.session.id, f.confirmation_for(asked[0]), f.now + 4); }) ==
          "TRANSACTION_UNKNOWN");
    CHECK(outcome([&] { f.tx->confirm(a.session.id, f.confirmation_for(asked[3]), f.now + 4); }) ==
          "ok");
    // Full in all (2 + 3): the one expiring first goes, whichever session's.
    for (int i = 0; i < 3; i++)
        f.tx->challenge(b.session.id, kText, f.now + 5);
    CHECK(f.store->size() == 5);
    f.tx->challenge(b.session.id, kText, f.now + 5); // b's oldest goes (its own bound)
    CHECK(f.store->size() == 5);
    // Full in all again: the one expiring first goes (a's second, asked[1]).
    auto newest_a = f.tx->challenge(a.session.id, kText, f.now + 6);
    CHECK(f.store->size() == 5);
    CHECK(outcome([&] { f.tx->confirm(a.session.id, f.confirmation_for(asked[1]), f.now + 6); }) ==
          "TRANSACTION_UNKNOWN");
    CHECK(outcome([&] { f.tx->confirm(a.session.id, f.confirmation_for(newest_a), f.now + 6); }) ==
          "ok");
    // Expired questions are dropped when the next one is asked.
    f.tx->challenge(a.session.id, kText, f.now + 30);
    CHECK(f.store->size() == 1);
}

TEST_CASE("memory transaction store: take is by session key and nonce, once")
{
    MemoryTransactionStore store(2, 10);
    std::string k1 = session_key("one"), k2 = session_key("two");
    store.issue(k1, "n1", {"text one", 100}, 50);
    store.issue(k2, "n2", {"text two", 100}, 50);
    CHECK_FALSE(store.take(k2, "n1"));
    auto t = store.take(k1, "n1");
    REQUIRE(t);
    CHECK(t->text == "text one");
    CHECK(t->expires == 100);
    CHECK_FALSE(store.take(k1, "n1"));
    CHECK(store.take(k2, "n2"));
    CHECK(store.size() == 0);
    // Many asked and answered: the time index does not grow without bound.
    for (int i = 0; i < 10'000; i++) {
        store.issue(k1, std::to_string(i), {"t", 1000 + i}, 50);
        CHECK(store.take(k1, std::to_string(i)));
    }
    CHECK(store.size() == 0);
    CHECK(store.dropped() == 0);
}

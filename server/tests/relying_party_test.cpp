#include "cardbound/crypto/certificate.h"
#include "session/relying_party.h"
#include "session/session_key.h"
#include "test_pki.h"
#include "test_site.h"

#include "outcome.h"

#include <atomic>
#include <doctest/doctest.h>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

using namespace cardbound;
using namespace cardbound::server;
using testing::outcome;

namespace
{

const std::string kOrigin = "https://localhost:8443";

// The test site's PKI (test_site.h) and a relying party with memory stores.
struct Fixture : testing::TestPki {
    std::shared_ptr<MemorySessionStore> sessions = std::make_shared<MemorySessionStore>();
    std::unique_ptr<RelyingParty> rp;
    std::time_t now = std::time(nullptr);

    explicit Fixture(int presence_interval = 30)
    {
        rp = std::make_unique<RelyingParty>(RelyingPartyConfig{kOrigin, 120, presence_interval, 10},
                                            identity(), testing::validator_trusting(ca.get()),
                                            std::make_shared<MemoryNonceStore>(), sessions);
    }

    RelyingParty::Login login()
    {
        ServerChallenge c = rp->challenge(base64_encode(random_bytes(32)), now);
        return rp->login(token_for(c.server_nonce), c.server_nonce, kOrigin, now);
    }
};

} // namespace

TEST_CASE("the challenge is signed by the server's key over the protocol's signing input")
{
    Fixture f;
    std::string host_nonce = base64_encode(random_bytes(32));
    ServerChallenge c = f.rp->challenge(host_nonce, f.now);
    CHECK(c.host_nonce == host_nonce);
    CHECK(c.origin == kOrigin);
    CHECK(base64_decode(c.server_nonce)->size() == 32);
    CHECK(c.certificate_chain.size() == 2);
    CHECK(
        verify_message(f.server_key.get(), c.algorithm, as_bytes(c.signing_input()), c.signature));
    CHECK_NOTHROW(ServerChallenge::from_json(c.to_json()));
    CHECK(outcome([&] { f.rp->challenge("short", f.now); }) == "TOKEN_MALFORMED");
}

TEST_CASE("full access only after confirm; presence keeps the session alive")
{
    Fixture f;
    auto l = f.login();
    CHECK(l.receipt.session_tag == l.session.tag);
    CHECK(verify_message(f.server_key.get(), l.receipt.algorithm,
                         as_bytes(l.receipt.signing_input()), l.receipt.signature));
    CHECK(outcome([&] { f.rp->session(l.session.id, f.now); }) == "NOT_CONFIRMED");
    CHECK(outcome([&] { f.rp->presence_challenge(l.session.id, f.now); }) == "NOT_CONFIRMED");

    f.rp->confirm(l.session.id, f.proof_for(l.session.tag, l.receipt.presence_nonce), f.now);
    Session s = f.rp->session(l.session.id, f.now);
    CHECK(s.identity.holder == "Card,Holder,1");

    nlohmann::json proof;
    for (int i = 1; i <= 3; i++) {
        std::time_t t = f.now + 25 * i;
        PresenceChallenge pc = f.rp->presence_challenge(l.session.id, t);
        CHECK(verify_message(f.server_key.get(), pc.algorithm, as_bytes(pc.signing_input()),
                             pc.signature));
        proof = f.proof_for(l.session.tag, pc.nonce);
        CHECK(outcome([&] { f.rp->presence(l.session.id, proof, t); }) == "ok");
    }
    CHECK(outcome([&] { f.rp->session(l.session.id, f.now + 75 + 39); }) == "ok");
    // Presence must be proven, not tried: a replay is refused and ends the session.
    CHECK(outcome([&] { f.rp->presence(l.session.id, proof, f.now + 80); }) == "NONCE_REUSED");
    CHECK(outcome([&] { f.rp->session(l.session.id, f.now + 80); }) == "SESSION_UNKNOWN");
}

TEST_CASE("a long presence interval never makes a challenge live longer than a host accepts")
{
    Fixture f(1000); // deadline 1010 s after each proof; hosts take at most 300 s
    auto l = f.login();
    f.rp->confirm(l.session.id, f.proof_for(l.session.tag, l.receipt.presence_nonce), f.now);
    PresenceChallenge pc = f.rp->presence_challenge(l.session.id, f.now);
    CHECK(*parse_time(pc.expires_at) - *parse_time(pc.issued_at) == 300);
    PresenceChallenge late = f.rp->presence_challenge(l.session.id, f.now + 900);
    CHECK(*parse_time(late.expires_at) - *parse_time(late.issued_at) == 110); // the deadline
}

TEST_CASE("a missed presence deadline ends the session")
{
    Fixture f;
    auto l = f.login();
    f.rp->confirm(l.session.id, f.proof_for(l.session.tag, l.receipt.presence_nonce), f.now);
    CHECK(outcome([&] { f.rp->session(l.session.id, f.now + 40); }) == "ok");
    CHECK(outcome([&] { f.rp->session(l.session.id, f.now + 41); }) == "PRESENCE_LATE");
    CHECK(outcome([&] { f.rp->session(l.session.id, f.now + 41); }) == "SESSION_UNKNOWN");
    CHECK(f.sessions->size() == 0);
}

TEST_CASE("an unconfirmed session expires with the challenge lifetime")
{
    Fixture f;
    auto l = f.login();
    CHECK(outcome([&] {
              f.rp->confirm(l.session.id, f.proof_for(l.session.tag, l.receipt.presence_nonce),
                            f.now + 121);
          }) == "PRESENCE_LATE");
}

TEST_CASE("replays, foreign origins and foreign keys are refused")
{
    Fixture f;
    ServerChallenge c = f.rp->challenge(base64_encode(random_bytes(32)), f.now);
    auto token = f.token_for(c.server_nonce);
    CHECK(outcome([&] { f.rp->login(token, c.server_nonce, "https://evil.example", f.now); }) ==
          "ORIGIN_MISMATCH");
    CHECK(outcome([&] { f.rp->login(token, c.server_nonce, kOrigin, f.now); }) == "ok");
    CHECK(outcome([&] { f.rp->login(token, c.server_nonce, kOrigin, f.now); }) == "NONCE_REUSED");
    CHECK(outcome([&] { f.rp->login(token, base64_encode(random_bytes(32)), kOrigin, f.now); }) ==
          "NONCE_UNKNOWN");

    ServerChallenge late = f.rp->challenge(base64_encode(random_bytes(32)), f.now);
    CHECK(outcome([&] {
              f.rp->login(f.token_for(late.server_nonce), late.server_nonce, kOrigin, f.now + 121);
          }) == "NONCE_EXPIRED");

    auto stranger = test::make_ec_key("P-256");
    ServerChallenge c2 = f.rp->challenge(base64_encode(random_bytes(32)), f.now);
    CHECK(outcome([&] {
              f.rp->login(f.token_for(c2.server_nonce, stranger.get()), c2.server_nonce, kOrigin,
                          f.now);
          }) == "SIGNATURE_INVALID");

    auto l = f.login();
    CHECK(outcome([&] {
              f.rp->confirm(l.session.id,
                            f.proof_for(l.session.tag, l.receipt.presence_nonce, stranger.get()),
                            f.now);
          }) == "SIGNATURE_INVALID");
    CHECK(outcome([&] {
              f.rp->confirm(l.session.id,
                            f.proof_for(l.session.tag, base64_encode(random_bytes(32))), f.now);
          }) == "NONCE_UNKNOWN");
    // A login signature is no presence proof: same nonce, other digest.
    AuthToken t = AuthToken::from_json(f.token_for(l.receipt.presence_nonce));
    PresenceProof forged{l.session.tag, l.receipt.presence_nonce, Algorithm::ES256, t.signature};
    CHECK(outcome([&] { f.rp->confirm(l.session.id, forged.to_json(), f.now); }) ==
          "SIGNATURE_INVALID");
    CHECK(outcome([&] { f.rp->session("no-such-session", f.now); }) == "SESSION_UNKNOWN");
    CHECK(f.rp->logout(l.session.id));
    CHECK(outcome([&] { f.rp->session(l.session.id, f.now); }) == "SESSION_UNKNOWN");
}

TEST_CASE("a proof or a new challenge after a logout does not bring the session back")
{
    MemorySessionStore store;
    Session s;
    s.id = "id-1";
    s.tag = "t";
    s.pending_nonce = "n";
    s.confirmed = true;
    s.deadline = 100;
    store.put(s);
    CHECK(store.erase("id-1"));
    CHECK(store.prove_presence("id-1", {"t", "n", 50, 140, true}) == PresenceCheck::Gone);
    CHECK(store.rotate_presence("id-1", "m", 50).check == PresenceCheck::Gone);
    CHECK_FALSE(store.get("id-1").has_value());
    CHECK(store.size() == 0);
    CHECK(store.expire(1000).empty()); // nothing left in the time index either
}

TEST_CASE("expiry follows the deadlines as they move, without a scan of every session")
{
    MemorySessionStore store;
    for (int i = 0; i < 3; i++) {
        Session s;
        s.id = "s" + std::to_string(i);
        s.tag = "t";
        s.pending_nonce = "n";
        s.deadline = 100 + i;
        store.put(s);
    }
    // A proof (here the confirm) moved s0's deadline on.
    CHECK(store.prove_presence("s0", {"t", "n", 50, 200, false}) == PresenceCheck::Done);
    auto ended = store.expire(102);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0] == session_key("s1")); // its key, not its id
    CHECK(store.expire(150).size() == 1); // s2 at 102; s0's old entry is skipped
    CHECK(store.get("s0").has_value());
    CHECK(store.expire(201).size() == 1);
    CHECK(store.size() == 0);
}

TEST_CASE("one presence proof sent on 16 threads at once is accepted once; the replays end it once")
{
    Fixture f;
    std::vector<std::string> ends;
    std::mutex ends_mutex;
    f.rp->on_session_end([&](const std::string &id, std::string_view reason) {
        std::lock_guard lock(ends_mutex);
        ends.push_back(id + " " + std::string(reason));
    });
    for (int round = 0; round < 10; round++) {
        auto l = f.login();
        f.rp->confirm(l.session.id, f.proof_for(l.session.tag, l.receipt.presence_nonce), f.now);
        PresenceChallenge pc = f.rp->presence_challenge(l.session.id, f.now);
        auto proof = f.proof_for(l.session.tag, pc.nonce);
        std::atomic<int> accepted{0}, refused{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 16; i++)
            threads.emplace_back([&] {
                std::string r = outcome([&] { f.rp->presence(l.session.id, proof, f.now); });
                (r == "ok" ? accepted : refused)++;
            });
        for (auto &t : threads)
            t.join();
        CHECK(accepted == 1);
        CHECK(refused == 15);
        // A replay is refused and ends the session, told once.
        std::lock_guard lock(ends_mutex);
        REQUIRE(ends.size() == static_cast<std::size_t>(round + 1));
        CHECK(ends.back() == session_key(l.session.id) + " presence-refused");
    }
}

TEST_CASE("a relying party is made for a canonical https origin only (policy rule 3)")
{
    Fixture f;
    auto validator = testing::validator_trusting(f.ca.get());
    auto make = [&](const std::string &origin) {
        RelyingParty rp({origin, 120, 30, 10}, ServerIdentity{}, validator,
                        std::make_shared<MemoryNonceStore>(), f.sessions);
    };
    CHECK_NOTHROW(make("https://login.example"));
    CHECK_THROWS_WITH_AS(make("http://login.example"), doctest::Contains("is not an https origin"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(make("https://login.example/"),
                         doctest::Contains("is not a canonical origin"), std::invalid_argument);
}

TEST_CASE("the relying party tells every end once, with the registry's reason")
{
    Fixture f;
    std::vector<std::string> ends;
    f.rp->on_session_end(
        [&](const std::string &, std::string_view reason) { ends.emplace_back(reason); });
    auto confirmed = [&] {
        auto l = f.login();
        f.rp->confirm(l.session.id, f.proof_for(l.session.tag, l.receipt.presence_nonce), f.now);
        return l.session.id;
    };
    std::string a = confirmed(), b = confirmed(), c = confirmed(), d = confirmed();
    CHECK(f.rp->logout(a));
    CHECK_FALSE(f.rp->logout(a));
    CHECK(f.rp->logout(b, registry::end_reason::kCardRemoved));
    CHECK(outcome([&] { f.rp->session(c, f.now + 41); }) == "PRESENCE_LATE");
    CHECK(outcome([&] { f.rp->session(c, f.now + 41); }) == "SESSION_UNKNOWN");
    CHECK(f.rp->expire(f.now + 41).size() == 1); // d
    auto unconfirmed = f.login();
    CHECK(f.rp->discard(unconfirmed.session.id)); // replaced silently
    CHECK(ends ==
          std::vector<std::string>{"logout", "card-removed", "presence-late", "presence-late"});
    (void)d;
}

TEST_CASE("the presence steps of the memory store: the checks in order, atomic, never reviving")
{
    MemorySessionStore store;
    Session s;
    s.id = "id-1";
    s.tag = "tag-1";
    s.origin = kOrigin;
    s.pending_nonce = "n1";
    s.deadline = 100;
    store.put(s);
    auto prove = [&](const std::string &tag, const std::string &nonce, std::time_t now,
                     bool must_be_confirmed) {
        return store.prove_presence("id-1", {tag, nonce, now, now + 40, must_be_confirmed});
    };
    CHECK(store.rotate_presence("id-1", "x", 50).check == PresenceCheck::NotConfirmed);
    CHECK(prove("tag-1", "n1", 50, true) == PresenceCheck::NotConfirmed);
    CHECK(prove("tag-1", "n1", 101, false) == PresenceCheck::Late);
    CHECK(prove("tag-2", "n1", 50, false) == PresenceCheck::OtherSession);
    CHECK(prove("tag-1", "n2", 50, false) == PresenceCheck::UnknownNonce);
    CHECK(store.get("id-1")->deadline == 100); // refusals change nothing
    CHECK(prove("tag-1", "n1", 50, false) == PresenceCheck::Done);
    Session now = *store.get("id-1");
    CHECK(now.confirmed);
    CHECK(now.answered_nonce == "n1");
    CHECK(now.deadline == 90);
    CHECK(prove("tag-1", "n1", 50, true) == PresenceCheck::Replayed);

    PresenceRotation r = store.rotate_presence("id-1", "n2", 60);
    CHECK(r.check == PresenceCheck::Done);
    CHECK(r.tag == "tag-1");
    CHECK(r.origin == kOrigin);
    CHECK(r.deadline == 90);
    CHECK(store.get("id-1")->pending_nonce == "n2");
    CHECK(prove("tag-1", "n1", 60, true) == PresenceCheck::Replayed); // still told as a replay
    CHECK(store.rotate_presence("id-1", "n3", 91).check == PresenceCheck::Late);
    // The moved deadline is the one expiry reads: the old one (100) is skipped.
    CHECK(prove("tag-1", "n2", 70, true) == PresenceCheck::Done); // deadline 110
    CHECK(store.expire(105).empty());
    CHECK(store.expire(111) == std::vector<std::string>{session_key("id-1")});

    // Ended: nothing is brought back.
    store.put(s);
    CHECK(store.erase("id-1"));
    CHECK(prove("tag-1", "n1", 50, false) == PresenceCheck::Gone);
    CHECK(store.rotate_presence("id-1", "n9", 50).check == PresenceCheck::Gone);
    CHECK_FALSE(store.get("id-1"));
    CHECK(store.size() == 0);
}

TEST_CASE("memory store: one proof racing itself and a logout counts at most once, never revives")
{
    MemorySessionStore store;
    for (int round = 0; round < 50; round++) {
        Session s;
        s.id = "r" + std::to_string(round);
        s.tag = "t";
        s.pending_nonce = "n";
        s.confirmed = true;
        s.deadline = 100;
        store.put(s);
        std::atomic<int> done{0}, erased{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; i++)
            threads.emplace_back([&, i] {
                if (i == 3)
                    erased += store.erase(s.id);
                else
                    done += store.prove_presence(s.id, {"t", "n", 50, 140, true}) ==
                            PresenceCheck::Done;
            });
        for (auto &t : threads)
            t.join();
        CHECK(done <= 1);
        CHECK(erased == 1);
        CHECK_FALSE(store.get(s.id));
    }
    CHECK(store.size() == 0);
}

TEST_CASE("a proof's refusal has the same code whether its instance remembers the session or not")
{
    // Two relying parties on one store: the first made the session (and
    // remembers its fixed parts), the second reads it.
    Fixture f;
    ServerIdentity id;
    EVP_PKEY_up_ref(f.server_key.get());
    id.key.reset(f.server_key.get());
    id.chain = {certificate_der(f.server_cert.get())};
    RelyingParty other({kOrigin, 120, 30, 10}, std::move(id),
                       testing::validator_trusting(f.ca.get()),
                       std::make_shared<MemoryNonceStore>(), f.sessions);
    auto stranger = test::make_ec_key("P-256");
    for (RelyingParty *rp : {f.rp.get(), &other}) {
        CAPTURE(rp == &other);
        auto l = f.login();
        std::string sid = l.session.id, tag = l.session.tag;
        std::string first = l.receipt.presence_nonce;
        // Not confirmed yet: a presence proof is refused for that first.
        CHECK(outcome([&] { rp->presence(sid, f.proof_for(tag, first, stranger.get()), f.now); }) ==
              "NOT_CONFIRMED");
        l = f.login();
        sid = l.session.id, tag = l.session.tag, first = l.receipt.presence_nonce;
        // A bad signature over an unknown nonce: the nonce is told first.
        CHECK(outcome([&] {
                  rp->confirm(sid,
                              f.proof_for(tag, base64_encode(random_bytes(32)), stranger.get()),
                              f.now);
              }) == "NONCE_UNKNOWN");
        CHECK(outcome([&] { rp->confirm(sid, f.proof_for(tag, first, stranger.get()), f.now); }) ==
              "SIGNATURE_INVALID");
        CHECK(outcome([&] { rp->confirm(sid, f.proof_for(tag, first), f.now); }) == "ok");
        // A replay with a bad signature: the replay is told first.
        CHECK(outcome([&] { rp->confirm(sid, f.proof_for(tag, first, stranger.get()), f.now); }) ==
              "NONCE_REUSED");
        CHECK(outcome([&] { rp->confirm(sid, f.proof_for(tag, first), f.now); }) == "NONCE_REUSED");
        // Another session's tag.
        PresenceChallenge pc = rp->presence_challenge(sid, f.now);
        std::string other_tag = base64url_encode(random_bytes(16));
        CHECK(outcome([&] { rp->confirm(sid, f.proof_for(other_tag, pc.nonce), f.now); }) ==
              "SESSION_UNKNOWN");
        // Late, with a bad signature: late (and ended as late).
        CHECK(outcome([&] {
                  rp->presence(sid, f.proof_for(tag, pc.nonce, stranger.get()), f.now + 41);
              }) == "PRESENCE_LATE");
        CHECK(outcome([&] { rp->session(sid, f.now); }) == "SESSION_UNKNOWN");
    }
}

TEST_CASE("a remembered session never outlives its end: the store decides")
{
    Fixture f;
    auto l = f.login();
    f.rp->confirm(l.session.id, f.proof_for(l.session.tag, l.receipt.presence_nonce), f.now);
    PresenceChallenge pc = f.rp->presence_challenge(l.session.id, f.now);
    auto proof = f.proof_for(l.session.tag, pc.nonce);
    // Ended behind this relying party's back (another instance's logout).
    CHECK(f.sessions->erase(l.session.id));
    CHECK(outcome([&] { f.rp->presence(l.session.id, proof, f.now); }) == "SESSION_UNKNOWN");
    CHECK(outcome([&] { f.rp->presence_challenge(l.session.id, f.now); }) == "SESSION_UNKNOWN");
    CHECK(f.sessions->size() == 0);
}

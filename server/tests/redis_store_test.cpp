// The Redis stores against a real redis-server, started by each test on a
// free loopback port and killed after it (also when an assertion fails, and
// by the kernel if this process dies first). Without redis-server the tests
// fail, saying so: nothing is skipped.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "cardbound/crypto/certificate.h"
#include "cardbound/crypto/signature.h"
#include "session/relying_party.h"
#include "session/session_key.h"
#include "session/transactions.h"
#include "store/redis_nonce_store.h"
#include "store/redis_session_store.h"
#include "store/redis_transaction_store.h"
#include "test_pki.h"
#include "test_site.h"
#include "validation/validation_error.h"

#include "outcome.h"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <set>
#include <sstream>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace cardbound;
using namespace cardbound::server;
using testing::outcome;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace
{

std::string find_redis_server()
{
    if (const char *env = std::getenv("CARDBOUND_REDIS_SERVER")) {
        if (::access(env, X_OK) != 0)
            throw std::runtime_error(std::string("CARDBOUND_REDIS_SERVER=") + env +
                                     " is not an executable redis-server");
        return env;
    }
    for (const char *path : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"})
        if (::access(path, X_OK) == 0)
            return path;
    throw std::runtime_error("redis-server was not found (/usr/bin/redis-server, or set "
                             "CARDBOUND_REDIS_SERVER): install Debian's redis-server package; "
                             "these tests need a real one and skip nothing");
}

int free_loopback_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        throw std::runtime_error("socket() failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free loopback port");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

// redis-server as a child process: no persistence, its own temporary folder.
class RedisServer
{
  public:
    RedisServer() : binary_(find_redis_server())
    {
        // As cardbound-server does: a write to a connection Redis closed
        // must fail, not kill the process.
        std::signal(SIGPIPE, SIG_IGN);
        char dir[] = "/tmp/cardbound-redis-test-XXXXXX";
        if (!::mkdtemp(dir))
            throw std::runtime_error("mkdtemp failed");
        dir_ = dir;
        for (int tries = 0;; tries++) { // another process may take the port first
            port_ = free_loopback_port();
            try {
                start();
                return;
            } catch (const std::exception &) {
                if (tries == 4) {
                    std::filesystem::remove_all(dir_);
                    throw;
                }
            }
        }
    }
    ~RedisServer()
    {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    RedisServer(const RedisServer &) = delete;
    RedisServer &operator=(const RedisServer &) = delete;

    // Starts it on port() (again, after stop()) and waits until PING answers.
    void start()
    {
        std::string port = std::to_string(port_), log = dir_ + "/redis.log";
        std::vector<std::string> args{
            binary_, "--port",      port, "--bind", "127.0.0.1", "--save",    "", "--appendonly",
            "no",    "--daemonize", "no", "--dir",  dir_,        "--logfile", log};
        std::vector<char *> argv;
        for (auto &a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ < 0)
            throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL); // dies with this test
            if (::getppid() != parent)
                ::_exit(1);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        auto until = Clock::now() + std::chrono::seconds(10);
        while (Clock::now() < until) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis-server on port " + port + " exited: " + read_log());
            }
            if (answers_ping())
                return;
            std::this_thread::sleep_for(milliseconds(20));
        }
        stop();
        throw std::runtime_error("redis-server on port " + port +
                                 " did not answer PING in 10 s: " + read_log());
    }

    void stop()
    {
        if (pid_ <= 0)
            return;
        ::kill(pid_, SIGCONT); // in case it is frozen
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 250; i++) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(milliseconds(20));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    void freeze() { ::kill(pid_, SIGSTOP); }
    void thaw() { ::kill(pid_, SIGCONT); }

    int port() const { return port_; }
    RedisUrl url() const { return RedisUrl{"127.0.0.1", port_, 0}; }

  private:
    bool answers_ping() const
    {
        timeval tv{0, 200'000};
        redisContext *c = redisConnectWithTimeout("127.0.0.1", port_, tv);
        bool ok = false;
        if (c && !c->err && redisSetTimeout(c, tv) == REDIS_OK) {
            RedisReply r(static_cast<redisReply *>(redisCommand(c, "PING")));
            ok = r && reply_text(r.get()) == "PONG";
        }
        if (c)
            redisFree(c);
        return ok;
    }

    std::string read_log() const
    {
        std::ifstream in(dir_ + "/redis.log");
        std::stringstream s;
        s << in.rdbuf();
        return s.str().empty() ? "(its log is empty)" : s.str();
    }

    std::string binary_;
    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

RedisOptions quick(std::size_t connections = 4)
{
    RedisOptions o;
    o.connect_timeout = milliseconds(500);
    o.command_timeout = milliseconds(300);
    o.pool_wait = milliseconds(2000);
    o.connections = connections;
    return o;
}

std::shared_ptr<RedisClient> client_of(const RedisServer &server, std::size_t connections = 4)
{
    return std::make_shared<RedisClient>(server.url(), quick(connections));
}

// What a call ended with: "ok", a ValidationError's code, or "unavailable".
std::string store_outcome(const std::function<void()> &f)
{
    try {
        return outcome(f);
    } catch (const StoreUnavailable &) {
        return "unavailable";
    }
}

long long integer(RedisClient &redis, const RedisCommand &cmd)
{
    RedisReply r = redis.command(cmd);
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return std::stoll(reply_text(r.get()));
    return -999; // nil and anything else
}

std::shared_ptr<EVP_PKEY> shared_key(ossl::Pkey key)
{
    return std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
}

Identity full_identity()
{
    Identity id;
    id.subject = "CN=HOLDER\\,CARD\\,1,SN=HOLDER,GN=CARD,serialNumber=PNOEE-1,C=EE";
    id.holder = "CARD HOLDER";
    id.given_name = "CARD";
    id.surname = "HOLDER";
    id.personal_code = "PNOEE-38001085718";
    id.country = "EE";
    id.issuer = "CN=Test CA";
    id.serial_number = "0a1b2c";
    id.fingerprint = "ff00ee11";
    id.not_after = "2030-01-01T00:00:00Z";
    id.algorithm = "ES256";
    return id;
}

Session make_session(const std::string &id, std::time_t deadline,
                     std::shared_ptr<EVP_PKEY> key = nullptr)
{
    Session s;
    s.id = id;
    s.tag = "tag-" + id;
    s.origin = "https://localhost:8443";
    s.identity = full_identity();
    s.public_key = std::move(key);
    s.algorithm = Algorithm::ES256;
    s.confirmed = false;
    s.pending_nonce = "0";
    s.answered_nonce = "";
    s.deadline = deadline;
    return s;
}

void check_same(const Session &a, const Session &b)
{
    CHECK(a.id == b.id);
    CHECK(a.tag == b.tag);
    CHECK(a.origin == b.origin);
    CHECK(a.identity.subject == b.identity.subject);
    CHECK(a.identity.holder == b.identity.holder);
    CHECK(a.identity.given_name == b.identity.given_name);
    CHECK(a.identity.surname == b.identity.surname);
    CHECK(a.identity.personal_code == b.identity.personal_code);
    CHECK(a.identity.country == b.identity.country);
    CHECK(a.identity.issuer == b.identity.issuer);
    CHECK(a.identity.serial_number == b.identity.serial_number);
    CHECK(a.identity.fingerprint == b.identity.fingerprint);
    CHECK(a.identity.not_after == b.identity.not_after);
    CHECK(a.identity.algorithm == b.identity.algorithm);
    CHECK(a.algorithm == b.algorithm);
    CHECK(a.confirmed == b.confirmed);
    CHECK(a.pending_nonce == b.pending_nonce);
    CHECK(a.answered_nonce == b.answered_nonce);
    CHECK(a.deadline == b.deadline);
    REQUIRE(bool(a.public_key) == bool(b.public_key));
    if (a.public_key)
        CHECK(EVP_PKEY_eq(a.public_key.get(), b.public_key.get()) == 1);
}

// The read-back key verifies what the original private key signed.
bool verifies(EVP_PKEY *signer, EVP_PKEY *restored, Algorithm alg)
{
    Bytes d = digest(digest_of(alg), as_bytes("a presence challenge"));
    Bytes sig = sign_digest(signer, alg, d);
    return verify_digest(restored, alg, d, sig);
}

void sleep_until_wall(std::time_t t, milliseconds after = milliseconds(50))
{
    auto target = std::chrono::system_clock::from_time_t(t) + after;
    std::this_thread::sleep_until(target);
}

} // namespace

TEST_CASE("RedisUrl takes redis://HOST:PORT/DB and nothing else")
{
    RedisUrl u = RedisUrl::parse("redis://127.0.0.1:6379/0");
    CHECK(u.host == "127.0.0.1");
    CHECK(u.port == 6379);
    CHECK(u.db == 0);
    u = RedisUrl::parse("redis://redis-1.internal_net:65535/15");
    CHECK(u.host == "redis-1.internal_net");
    CHECK(u.port == 65535);
    CHECK(u.db == 15);
    u = RedisUrl::parse("redis://[::1]:6380/2");
    CHECK(u.host == "::1");
    CHECK(u.port == 6380);
    CHECK(u.db == 2);
    CHECK(u.to_string() == "redis://[::1]:6380/2");
    CHECK(RedisUrl::parse("redis://localhost:1/0").to_string() == "redis://localhost:1/0");

    for (const char *bad : {"",
                            "redis://",
                            "redis:/h:1/0",
                            "REDIS://h:1/0",
                            "http://h:1/0",
                            "rediss://h:1/0",
                            "h:1/0",
                            "redis://h/0",
                            "redis://h:1",
                            "redis://h:1/",
                            "redis://h:/0",
                            "redis://:1/0",
                            "redis://h:0/0",
                            "redis://h:65536/0",
                            "redis://h:-1/0",
                            "redis://h:1/-1",
                            "redis://h:1/x",
                            "redis://h:1/0/",
                            "redis://h:1/0 ",
                            "redis://h: 1/0",
                            "redis://h:1/0?db=1",
                            "redis://h:1/0#x",
                            "redis://user:pw@h:1/0",
                            "redis://:pw@h:1/0",
                            "redis://h h:1/0",
                            "redis://-h:1/0",
                            "redis://[::1:1/0",
                            "redis://[]:1/0",
                            "redis://[zz::1]:1/0",
                            "redis://::1:1/0",
                            "redis://h:1/9999999999"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(RedisUrl::parse(bad), std::invalid_argument);
    }
    // The error says what is wrong.
    try {
        RedisUrl::parse("redis://h:6379");
        FAIL("accepted");
    } catch (const std::invalid_argument &e) {
        CHECK(std::string(e.what()).find("database") != std::string::npos);
    }
}

TEST_CASE("redis nonces: the memory store's answers, with Redis TTLs")
{
    RedisServer server;
    auto redis = client_of(server);
    RedisNonceStore store(redis, 600, "t:");
    MemoryNonceStore memory(600);
    std::time_t now = std::time(nullptr);

    // The same script on both stores gives the same answers.
    for (NonceStore *s : std::vector<NonceStore *>{&memory, &store}) {
        s->issue("a", now + 60);
        s->issue("b", now + 60);
    }
    std::vector<std::function<std::string(NonceStore &)>> steps = {
        [&](NonceStore &s) { return outcome([&] { s.consume("a", now); }); },
        [&](NonceStore &s) { return outcome([&] { s.consume("a", now); }); },
        [&](NonceStore &s) { return outcome([&] { s.consume("a", now + 100); }); },
        [&](NonceStore &s) { return outcome([&] { s.consume("never", now); }); },
        [&](NonceStore &s) { return outcome([&] { s.consume("b", now + 60); }); },
        [&](NonceStore &s) { return outcome([&] { s.consume("b", now + 59); }); },
    };
    std::vector<std::string> expected = {
        "ok", "NONCE_REUSED", "NONCE_REUSED", "NONCE_UNKNOWN", "NONCE_EXPIRED", "ok"};
    for (std::size_t i = 0; i < steps.size(); i++) {
        CAPTURE(i);
        CHECK(steps[i](memory) == expected[i]);
        CHECK(steps[i](store) == expected[i]);
    }

    // Expiry by TTL: an unused nonce until it expires, a used one
    // keep_used_seconds longer; one key each, under the prefix.
    store.issue("c", now + 60);
    CHECK(store.key_of("c") == "t:nonce:c");
    CHECK(integer(*redis, {"EXPIRETIME", "t:nonce:c"}) == now + 60);
    CHECK(integer(*redis, {"EXPIRETIME", "t:nonce:a"}) == now + 60 + 600);
    // An expired issue is forgotten at once.
    store.issue("past", now - 10);
    CHECK(integer(*redis, {"EXISTS", "t:nonce:past"}) == 0);
    CHECK(outcome([&] { store.consume("past", now - 20); }) == "NONCE_UNKNOWN");
    // An expired but unused nonce is not marked used: it stays EXPIRED.
    store.issue("d", now + 60);
    CHECK(outcome([&] { store.consume("d", now + 61); }) == "NONCE_EXPIRED");
    CHECK(outcome([&] { store.consume("d", now + 61); }) == "NONCE_EXPIRED");
    CHECK(integer(*redis, {"EXPIRETIME", "t:nonce:d"}) == now + 60);
    // One round trip each.
    auto before = redis->round_trips();
    store.issue("e", now + 60);
    CHECK(redis->round_trips() - before == 1);
    store.consume("e", now);
    CHECK(redis->round_trips() - before == 2);
}

TEST_CASE("redis nonces: Redis itself forgets them at their time")
{
    RedisServer server;
    auto redis = client_of(server);
    RedisNonceStore store(redis, 1, "t:");
    std::time_t now = std::time(nullptr);
    store.issue("unused", now + 1);
    store.issue("used", now + 1);
    store.consume("used", now);
    sleep_until_wall(now + 1); // past the expiry: the unused one is gone
    // `now` is still before the expiry here: it is the TTL that forgot it.
    CHECK(outcome([&] { store.consume("unused", now); }) == "NONCE_UNKNOWN");
    CHECK(outcome([&] { store.consume("used", now); }) == "NONCE_REUSED");
    sleep_until_wall(now + 2); // past expiry + keep_used_seconds
    CHECK(outcome([&] { store.consume("used", now); }) == "NONCE_UNKNOWN");
}

TEST_CASE("redis nonces: single use across instances, racing")
{
    RedisServer server;
    constexpr int kInstances = 8, kRounds = 20;
    std::vector<std::shared_ptr<RedisClient>> clients;
    std::vector<std::unique_ptr<RedisNonceStore>> stores;
    for (int i = 0; i < kInstances; i++) {
        clients.push_back(client_of(server, 1));
        stores.push_back(std::make_unique<RedisNonceStore>(clients.back(), 3600, "t:"));
    }
    std::time_t now = std::time(nullptr);
    for (int round = 0; round < kRounds; round++) {
        std::string nonce = "race-" + std::to_string(round);
        stores[round % kInstances]->issue(nonce, now + 60);
        std::vector<std::string> answers(kInstances);
        std::latch start(kInstances);
        std::vector<std::thread> threads;
        for (int i = 0; i < kInstances; i++)
            threads.emplace_back([&, i] {
                start.arrive_and_wait();
                answers[i] = store_outcome([&] { stores[i]->consume(nonce, now); });
            });
        for (auto &t : threads)
            t.join();
        CAPTURE(round);
        CHECK(std::count(answers.begin(), answers.end(), "ok") == 1);
        CHECK(std::count(answers.begin(), answers.end(), "NONCE_REUSED") == kInstances - 1);
    }
}

TEST_CASE("redis sessions: put, get and erase keep every field; the key still verifies")
{
    RedisServer server;
    auto redis = client_of(server);
    RedisSessionStore store(redis, "t:");
    std::time_t now = std::time(nullptr);

    ossl::Pkey ec = test::make_ec_key("P-256");
    ossl::Pkey rsa = test::make_rsa_key(2048);
    EVP_PKEY *ec_signer = ec.get(), *rsa_signer = rsa.get();
    Session a = make_session("ec-session", now + 120, shared_key(std::move(ec)));
    a.confirmed = true;
    a.pending_nonce = "pending+/=";
    a.answered_nonce = "answered";
    Session b = make_session("rsa-session", now + 130, shared_key(std::move(rsa)));
    b.algorithm = Algorithm::PS384;
    Session c = make_session("no-key", now + 140); // a session without a key reads back without

    auto before = redis->round_trips();
    store.put(a);
    CHECK(redis->round_trips() - before == 1);
    store.put(b);
    store.put(c);
    CHECK(store.size() == 3);

    before = redis->round_trips();
    auto got = store.get("ec-session");
    CHECK(redis->round_trips() - before == 1);
    REQUIRE(got);
    check_same(*got, a);
    CHECK(got->public_key.get() != a.public_key.get()); // parsed from Redis, not shared
    CHECK(verifies(ec_signer, got->public_key.get(), Algorithm::ES256));
    CHECK_FALSE(verifies(rsa_signer, got->public_key.get(), Algorithm::RS256));

    got = store.get("rsa-session");
    REQUIRE(got);
    check_same(*got, b);
    CHECK(verifies(rsa_signer, got->public_key.get(), Algorithm::PS384));
    CHECK(verifies(rsa_signer, got->public_key.get(), Algorithm::RS256));

    got = store.get("no-key");
    REQUIRE(got);
    CHECK_FALSE(got->public_key);

    // The key's expiry is the deadline itself; the index holds the deadline.
    // Named by the id's SHA-256, never by the id (the cookie).
    CHECK(store.key_of("ec-session") == "t:session:" + session_key("ec-session"));
    CHECK(session_key("ec-session").size() == 64);
    CHECK(integer(*redis, {"EXPIRETIME", store.key_of("ec-session")}) == now + 120);
    CHECK(integer(*redis, {"EXPIRETIME", store.key_of("rsa-session")}) == now + 130);
    CHECK(integer(*redis, {"ZSCORE", "t:deadlines", session_key("rsa-session")}) == now + 130);

    CHECK_FALSE(store.get("nobody"));
    before = redis->round_trips();
    CHECK(store.erase("ec-session"));
    CHECK(redis->round_trips() - before == 1);
    CHECK_FALSE(store.erase("ec-session"));
    CHECK_FALSE(store.get("ec-session"));
    CHECK(integer(*redis, {"EXISTS", store.key_of("ec-session")}) == 0);
    CHECK(integer(*redis, {"ZSCORE", "t:deadlines", session_key("ec-session")}) == -999);
    CHECK(store.size() == 2);

    // Damaged or foreign data is refused (503), never half read.
    redis->command({"SET", store.key_of("bad"), "{\"v\":2,\"tag\":\"bad\"}"});
    CHECK(store_outcome([&] { store.get("bad"); }) == "unavailable");
    redis->command({"SET", store.key_of("v3"), "{\"v\":3}"});
    CHECK(store_outcome([&] { store.get("v3"); }) == "unavailable");
    // The first format (it held the id) is not read either.
    std::string v1 = RedisSessionStore::serialise(a);
    v1.replace(v1.find("\"v\":2"), 5, "\"v\":1,\"id\":\"ec-session\"");
    redis->command({"SET", store.key_of("v1"), v1});
    CHECK(store_outcome([&] { store.get("v1"); }) == "unavailable");
    std::string json = RedisSessionStore::serialise(a);
    auto at = json.find("\"publicKey\":\"") + 13;
    json[at + 10] = json[at + 10] == 'A' ? 'B' : 'A'; // a byte of the key's algorithm OID
    redis->command({"SET", store.key_of("ec-session"), json});
    CHECK(store_outcome([&] { store.get("ec-session"); }) == "unavailable");
}

TEST_CASE("redis sessions: expire ends each session exactly once across instances")
{
    RedisServer server;
    auto c1 = client_of(server, 4), c2 = client_of(server, 4);
    RedisSessionStore one(c1, "t:"), two(c2, "t:");
    std::time_t now = std::time(nullptr);
    auto key = shared_key(test::make_ec_key());
    std::set<std::string> due;
    for (int i = 0; i < 40; i++) {
        std::string id = "due" + std::to_string(i);
        (i % 2 ? one : two).put(make_session(id, now + 100 + i % 5, key));
        due.insert(session_key(id));
    }
    for (int i = 0; i < 10; i++)
        one.put(make_session("live" + std::to_string(i), now + 300));
    one.put(make_session("edge", now + 200)); // deadline == now: not yet ended
    // Its deadline moved on after it was indexed (its confirm, on the other
    // instance): not ended either.
    one.put(make_session("moved", now + 100));
    CHECK(two.prove_presence("moved", {"tag-moved", "0", now, now + 300, false}) ==
          PresenceCheck::Done);
    CHECK(one.size() == 52);

    std::mutex mutex;
    std::map<std::string, int> ended;
    std::vector<std::string> errors;
    std::latch start(8);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; t++)
        threads.emplace_back([&, t] {
            RedisSessionStore &store = t % 2 ? two : one;
            start.arrive_and_wait();
            try {
                for (int i = 0; i < 3; i++)
                    for (const std::string &ended_key : store.expire(now + 200)) {
                        std::lock_guard lock(mutex);
                        ended[ended_key]++;
                    }
            } catch (const std::exception &e) {
                std::lock_guard lock(mutex);
                errors.push_back(e.what());
            }
        });
    for (auto &t : threads)
        t.join();
    CHECK(errors.empty());
    CHECK(ended.size() == due.size());
    for (const auto &[ended_key, times] : ended) {
        CAPTURE(ended_key);
        CHECK(due.count(ended_key) == 1); // by key: the ids are not in Redis
        CHECK(times == 1);
    }
    CHECK(one.size() == 12);
    CHECK(two.get("edge"));
    CHECK(two.get("moved"));
    CHECK_FALSE(two.get("due0"));
    CHECK(integer(*c1, {"EXISTS", one.key_of("due7")}) == 0);
    CHECK(one.expire(now + 200).empty());
    CHECK(one.expire(now + 201).size() == 1); // "edge"
}

TEST_CASE("redis sessions: a session Redis dropped at its deadline still ends once")
{
    RedisServer server;
    auto redis = client_of(server);
    RedisSessionStore one(redis, "t:"), two(client_of(server), "t:");
    std::time_t now = std::time(nullptr);
    one.put(make_session("short", now + 1));
    one.put(make_session("short-logout", now + 1));
    sleep_until_wall(now + 1);
    CHECK(integer(*redis, {"EXISTS", one.key_of("short")}) == 0); // Redis dropped it
    CHECK_FALSE(one.get("short"));
    CHECK(one.prove_presence("short", {"tag-short", "0", now + 1, now + 50, false}) ==
          PresenceCheck::Gone);
    CHECK(integer(*redis, {"EXISTS", one.key_of("short")}) == 0); // not revived
    CHECK(one.size() == 2); // its index entry stands for it until it is ended
    // A logout of a dropped session ends it (once): it leaves the index.
    CHECK(two.erase("short-logout"));
    CHECK_FALSE(one.erase("short-logout"));
    auto ended = two.expire(now + 2);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0] == session_key("short"));
    CHECK(one.expire(now + 2).empty());
    CHECK(one.size() == 0);
}

TEST_CASE("redis sessions: the presence steps, one round trip each, answer as in memory")
{
    RedisServer server;
    auto redis = client_of(server);
    RedisSessionStore store(redis, "t:");
    MemorySessionStore memory;
    std::time_t now = std::time(nullptr);
    ossl::Pkey ec = test::make_ec_key("P-256");
    EVP_PKEY *signer = ec.get();
    Session s = make_session("p", now + 100, shared_key(std::move(ec)));
    s.identity.holder = "ÕUNAPUU, MARI-LIIS \"ML\" / 1"; // cjson passes it through
    s.pending_nonce = "n1+/=";
    for (SessionStore *st : std::vector<SessionStore *>{&memory, &store})
        st->put(s);
    // Redis learns each script once (EVALSHA, then EVAL): not counted below.
    store.prove_presence("warm-up", {"t", "n", now, now, true});
    store.rotate_presence("warm-up", "n", now);

    auto prove = [&](const std::string &tag, const std::string &nonce, std::time_t at,
                     bool must_be_confirmed) {
        return [=](SessionStore &st) {
            return static_cast<int>(
                st.prove_presence("p", {tag, nonce, at, at + 40, must_be_confirmed}));
        };
    };
    auto rotate = [&](const std::string &nonce, std::time_t at) {
        return [=](SessionStore &st) {
            PresenceRotation r = st.rotate_presence("p", nonce, at);
            CHECK((r.check != PresenceCheck::Done ||
                   (r.tag == "tag-p" && r.origin == "https://localhost:8443")));
            return static_cast<int>(r.check) * 1000000 + static_cast<int>(r.deadline - now);
        };
    };
    std::vector<std::function<int(SessionStore &)>> steps = {
        rotate("x", now),                          // not confirmed
        prove("tag-p", "n1+/=", now, true),        // not confirmed
        prove("tag-p", "n1+/=", now + 101, false), // late
        prove("tag-q", "n1+/=", now, false),       // another session's
        prove("tag-p", "n2", now, false),          // unknown nonce
        prove("tag-p", "n1+/=", now, false),       // the confirmation: deadline now + 40
        prove("tag-p", "n1+/=", now, true),        // a replay
        rotate("n2", now + 10),                    // deadline unchanged
        prove("tag-p", "n1+/=", now + 10, true),   // still a replay
        prove("tag-p", "n2", now + 20, true),      // deadline now + 60
        rotate("n3", now + 61),                    // late
        prove("tag-p", "n2", now + 20, true),      // a replay
    };
    for (std::size_t i = 0; i < steps.size(); i++) {
        CAPTURE(i);
        int in_memory = steps[i](memory);
        auto before = redis->round_trips();
        CHECK(steps[i](store) == in_memory);
        CHECK(redis->round_trips() - before == 1);
    }
    // Every field came through cjson as it was, the changed ones changed.
    auto got = store.get("p");
    REQUIRE(got);
    check_same(*got, *memory.get("p"));
    CHECK(got->deadline == now + 60);
    CHECK(got->pending_nonce == "n2");
    CHECK(got->answered_nonce == "n2");
    CHECK(verifies(signer, got->public_key.get(), Algorithm::ES256));
    // The key's expiry and the index moved with the deadline.
    CHECK(integer(*redis, {"EXPIRETIME", store.key_of("p")}) == now + 60);
    CHECK(integer(*redis, {"ZSCORE", "t:deadlines", session_key("p")}) == now + 60);
    CHECK(store.expire(now + 59).empty());
    CHECK(store.expire(now + 61) == std::vector<std::string>{session_key("p")});

    // Gone: nothing, nothing brought back; one round trip still.
    auto before = redis->round_trips();
    CHECK(store.prove_presence("p", {"tag-p", "n2", now, now + 40, false}) == PresenceCheck::Gone);
    CHECK(store.rotate_presence("p", "n4", now).check == PresenceCheck::Gone);
    CHECK(redis->round_trips() - before == 2);
    CHECK(integer(*redis, {"EXISTS", store.key_of("p")}) == 0);
    CHECK(store.size() == 0);
    // A damaged session fails the step (503), as get() does.
    redis->command({"SET", store.key_of("bad"), "{\"v\":1}"});
    CHECK(store_outcome([&] {
              store.prove_presence("bad", {"t", "n", now, now + 40, false});
          }) == "unavailable");
    redis->command({"SET", store.key_of("bad"), "not json"});
    CHECK(store_outcome([&] { store.rotate_presence("bad", "n", now); }) == "unavailable");
}

TEST_CASE("redis sessions: a proof racing itself and a logout across instances")
{
    RedisServer server;
    auto c1 = client_of(server), c2 = client_of(server);
    RedisSessionStore one(c1, "t:"), two(c2, "t:");
    std::time_t now = std::time(nullptr);
    int not_once = 0, revived = 0, ended_twice = 0;
    for (int round = 0; round < 30; round++) {
        std::string id = "r" + std::to_string(round);
        Session s = make_session(id, now + 100);
        s.confirmed = true;
        s.pending_nonce = "n";
        one.put(s);
        // The same proof on 8 threads of two instances: exactly one counts.
        std::atomic<int> done{0}, replayed{0};
        std::latch start(8);
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; t++)
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                RedisSessionStore &store = t % 2 ? two : one;
                PresenceCheck c =
                    store.prove_presence(id, {"tag-" + id, "n", now, now + 140, true});
                if (c == PresenceCheck::Done)
                    done++;
                else if (c == PresenceCheck::Replayed)
                    replayed++;
            });
        for (auto &t : threads)
            t.join();
        not_once += done != 1 || replayed != 7;
        CHECK(integer(*c1, {"ZSCORE", "t:deadlines", session_key(id)}) == now + 140);

        // A new nonce, then its proofs racing two logouts: ended once, never revived.
        one.rotate_presence(id, "m", now);
        std::latch race(5);
        std::atomic<int> erased{0};
        threads.clear();
        for (int t = 0; t < 5; t++)
            threads.emplace_back([&, t] {
                RedisSessionStore &store = t % 2 ? two : one;
                race.arrive_and_wait();
                if (t < 2)
                    erased += store.erase(id);
                else
                    store.prove_presence(id, {"tag-" + id, "m", now, now + 180 + t, true});
            });
        for (auto &t : threads)
            t.join();
        revived += one.get(id).has_value() || integer(*c1, {"EXISTS", one.key_of(id)}) != 0 ||
                   integer(*c1, {"ZSCORE", "t:deadlines", session_key(id)}) != -999;
        ended_twice += erased != 1;
    }
    CHECK(not_once == 0);
    CHECK(revived == 0);
    CHECK(ended_twice == 0);
    CHECK(one.size() == 0);
}

namespace
{

// Two relying-party instances sharing one Redis, as behind a load balancer:
// the test site's PKI (test_site.h), twice, with the Redis stores.
struct TwoInstances : testing::TestPki {
    std::shared_ptr<RedisClient> redis[2];
    std::unique_ptr<RelyingParty> rp[2];
    std::mutex mutex;
    std::vector<std::pair<int, std::string>> ends; // (instance, key + " " + reason)
    std::time_t now = std::time(nullptr);

    explicit TwoInstances(const RedisServer &server)
    {
        for (int i = 0; i < 2; i++) {
            redis[i] = client_of(server);
            rp[i] = std::make_unique<RelyingParty>(
                RelyingPartyConfig{origin, 120, 30, 10}, identity(),
                testing::validator_trusting(ca.get()),
                std::make_shared<RedisNonceStore>(redis[i], 3600, "rp:"),
                std::make_shared<RedisSessionStore>(redis[i], "rp:"));
            rp[i]->on_session_end([this, i](const std::string &key, std::string_view reason) {
                std::lock_guard lock(mutex);
                ends.emplace_back(i, key + " " + std::string(reason));
            });
        }
    }

    // Challenge on one instance, login on the other, confirm on the first.
    RelyingParty::Login confirmed_login(int first)
    {
        ServerChallenge c = rp[first]->challenge(base64_encode(random_bytes(32)), now);
        auto l = rp[1 - first]->login(token_for(c.server_nonce), c.server_nonce, origin, now);
        rp[first]->confirm(l.session.id, proof_for(l.session.tag, l.receipt.presence_nonce), now);
        return l;
    }
};

} // namespace

TEST_CASE("two relying parties on one Redis: a login, presence and its end across instances")
{
    RedisServer server;
    TwoInstances f(server);

    ServerChallenge c = f.rp[0]->challenge(base64_encode(random_bytes(32)), f.now);
    auto l = f.rp[1]->login(f.token_for(c.server_nonce), c.server_nonce, f.origin, f.now);
    CHECK(outcome([&] {
              f.rp[0]->login(f.token_for(c.server_nonce), c.server_nonce, f.origin, f.now);
          }) == "NONCE_REUSED");
    CHECK(outcome([&] { f.rp[0]->session(l.session.id, f.now); }) == "NOT_CONFIRMED");
    f.rp[0]->confirm(l.session.id, f.proof_for(l.session.tag, l.receipt.presence_nonce), f.now);
    CHECK(f.rp[1]->session(l.session.id, f.now).identity.holder == "Card,Holder,1");

    // Presence proofs alternate between the instances.
    nlohmann::json proof;
    for (int i = 1; i <= 4; i++) {
        std::time_t t = f.now + 25 * i;
        PresenceChallenge pc = f.rp[i % 2]->presence_challenge(l.session.id, t);
        proof = f.proof_for(l.session.tag, pc.nonce);
        auto before = f.redis[1 - i % 2]->round_trips();
        CHECK(outcome([&] { f.rp[1 - i % 2]->presence(l.session.id, proof, t); }) == "ok");
        // One script run; each instance has seen the session already (the
        // login on rp[1], the confirmation on rp[0]), so neither reads it.
        CHECK(f.redis[1 - i % 2]->round_trips() - before == 1);
    }
    CHECK(outcome([&] { f.rp[0]->session(l.session.id, f.now + 100 + 39); }) == "ok");
    // A replay on the other instance is refused and ends the session, once.
    CHECK(outcome([&] { f.rp[1]->presence(l.session.id, proof, f.now + 101); }) == "NONCE_REUSED");
    CHECK(outcome([&] { f.rp[0]->session(l.session.id, f.now + 101); }) == "SESSION_UNKNOWN");
    REQUIRE(f.ends.size() == 1);
    CHECK(f.ends[0] ==
          std::pair<int, std::string>(1, session_key(l.session.id) + " presence-refused"));

    // A logout on one instance ends it for both; it is told once.
    auto l2 = f.confirmed_login(1);
    CHECK(f.rp[0]->logout(l2.session.id));
    CHECK_FALSE(f.rp[1]->logout(l2.session.id));
    CHECK(outcome([&] { f.rp[1]->session(l2.session.id, f.now); }) == "SESSION_UNKNOWN");
    REQUIRE(f.ends.size() == 2);
    CHECK(f.ends[1] == std::pair<int, std::string>(0, session_key(l2.session.id) + " logout"));

    // A missed deadline: whichever instance sweeps first tells it, once.
    auto l3 = f.confirmed_login(0);
    auto l4 = f.confirmed_login(1);
    std::vector<std::string> swept;
    for (int i : {0, 1, 0})
        for (auto &key : f.rp[i]->expire(f.now + 1000))
            swept.push_back(key);
    std::sort(swept.begin(), swept.end());
    std::vector<std::string> expected{session_key(l3.session.id), session_key(l4.session.id)};
    std::sort(expected.begin(), expected.end());
    CHECK(swept == expected);
    CHECK(f.ends.size() == 4);
    CHECK(f.rp[0]->live_sessions() == 0);
}

TEST_CASE("two relying parties on one Redis: one proof on 16 threads counts once, ends once")
{
    RedisServer server;
    TwoInstances f(server);
    for (int round = 0; round < 5; round++) {
        auto l = f.confirmed_login(round % 2);
        PresenceChallenge pc = f.rp[round % 2]->presence_challenge(l.session.id, f.now);
        auto proof = f.proof_for(l.session.tag, pc.nonce);
        std::atomic<int> accepted{0}, refused{0};
        std::latch start(16);
        std::vector<std::thread> threads;
        for (int t = 0; t < 16; t++)
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                std::string r =
                    store_outcome([&] { f.rp[t % 2]->presence(l.session.id, proof, f.now); });
                (r == "ok" ? accepted : refused)++;
            });
        for (auto &t : threads)
            t.join();
        CAPTURE(round);
        CHECK(accepted == 1);
        CHECK(refused == 15);
        std::lock_guard lock(f.mutex);
        REQUIRE(f.ends.size() == static_cast<std::size_t>(round + 1));
        CHECK(f.ends.back().second == session_key(l.session.id) + " presence-refused");
    }
}

namespace
{

// Every command Redis runs (MONITOR), from now until stop().
class Monitor
{
  public:
    explicit Monitor(const RedisServer &server)
    {
        timeval tv{2, 0};
        c_ = redisConnectWithTimeout("127.0.0.1", server.port(), tv);
        REQUIRE((c_ && !c_->err));
        redisSetTimeout(c_, tv);
        RedisReply ok(static_cast<redisReply *>(redisCommand(c_, "MONITOR")));
        REQUIRE((ok && reply_text(ok.get()) == "OK"));
    }
    ~Monitor() { redisFree(c_); }
    Monitor(const Monitor &) = delete;
    Monitor &operator=(const Monitor &) = delete;

    // What it saw, up to a marker sent now through `redis`.
    std::string stop(RedisClient &redis)
    {
        const std::string marker = "end-of-monitor-" + std::to_string(::getpid());
        redis.command({"ECHO", marker});
        std::string seen;
        for (;;) {
            void *reply = nullptr;
            if (redisGetReply(c_, &reply) != REDIS_OK || !reply)
                throw std::runtime_error("MONITOR stopped answering");
            RedisReply r(static_cast<redisReply *>(reply));
            std::string line = reply_text(r.get());
            if (line.find(marker) != std::string::npos)
                return seen;
            seen += line + "\n";
        }
    }

  private:
    redisContext *c_ = nullptr;
};

// Every key of the database and what it holds, as text.
std::string dump_redis(RedisClient &redis)
{
    std::string out;
    RedisReply keys = redis.command({"KEYS", "*"});
    for (std::size_t i = 0; i < keys->elements; i++) {
        std::string key = reply_text(keys->element[i]);
        out += key + " = ";
        std::string type = reply_text(redis.command({"TYPE", key}).get());
        RedisReply value = type == "string" ? redis.command({"GET", key})
                           : type == "zset"
                               ? redis.command({"ZRANGE", key, "0", "-1", "WITHSCORES"})
                               : redis.command({"DUMP", key});
        if (value->type == REDIS_REPLY_ARRAY)
            for (std::size_t j = 0; j < value->elements; j++)
                out += reply_text(value->element[j]) + " ";
        else
            out += reply_text(value.get());
        out += "\n";
    }
    return out;
}

} // namespace

TEST_CASE("two relying parties on one Redis: no session id is ever in Redis, nor sent to it")
{
    RedisServer server;
    TwoInstances f(server);
    auto watcher = client_of(server, 1);
    Monitor monitor(server);
    std::vector<std::string> ids;
    auto l1 = f.confirmed_login(0), l2 = f.confirmed_login(1), l3 = f.confirmed_login(0);
    for (auto *l : {&l1, &l2, &l3})
        ids.push_back(l->session.id);
    for (int i = 0; i < 2; i++) {
        PresenceChallenge pc = f.rp[i]->presence_challenge(l1.session.id, f.now + 10);
        f.rp[1 - i]->presence(l1.session.id, f.proof_for(l1.session.tag, pc.nonce), f.now + 10);
        f.rp[i]->session(l2.session.id, f.now + 10);
    }
    std::string held = dump_redis(*watcher); // while all three live
    CHECK(held.find(session_key(l1.session.id)) != std::string::npos);
    f.rp[1]->logout(l2.session.id);
    CHECK(f.rp[0]->expire(f.now + 45).size() == 1); // l3 (l1 was proven until now + 50)
    held += dump_redis(*watcher);
    std::string sent = monitor.stop(*watcher);
    CHECK(sent.find("EVALSHA") != std::string::npos); // it did watch the traffic
    for (const std::string &id : ids) {
        CAPTURE(id);
        CHECK(held.find(id) == std::string::npos);
        CHECK(sent.find(id) == std::string::npos);
    }
}

namespace
{

// What a card answers to a transaction challenge, signed with `key` and
// naming `cert` (TwoInstances' card by default), for `text` (the one asked).
nlohmann::json transaction_answer(const TwoInstances &f, const TransactionChallenge &c,
                                  std::optional<std::string> text = std::nullopt,
                                  EVP_PKEY *key = nullptr, X509 *cert = nullptr)
{
    TransactionConfirmation t;
    t.session_tag = c.session_tag;
    t.text = text.value_or(c.text);
    t.nonce = c.nonce;
    t.certificate = certificate_der(cert ? cert : f.card_cert.get());
    t.algorithm = Algorithm::ES256;
    t.signature =
        sign_digest(key ? key : f.card_key.get(), t.algorithm,
                    transaction_digest(t.algorithm, c.origin, c.session_tag, t.text, c.nonce));
    return t.to_json();
}

} // namespace

TEST_CASE("redis transactions: taken once, by session key and nonce; bounded; gone by their TTL")
{
    RedisServer server;
    auto redis = client_of(server);
    RedisTransactionStore store(redis, "rp:", 3);
    std::time_t now = std::time(nullptr);
    std::string k1 = session_key("session one"), k2 = session_key("session two");

    auto before = redis->round_trips();
    store.issue(k1, "n1", {"Pay 10 € to ACME", now + 20}, now);
    CHECK(redis->round_trips() - before <= 2); // the script's first run: EVALSHA, then EVAL
    before = redis->round_trips();
    store.issue(k2, "n2", {"text two", now + 20}, now);
    CHECK(redis->round_trips() - before == 1);

    CHECK_FALSE(store.take(k2, "n1")); // another session's: not found, not used up
    before = redis->round_trips();
    auto t = store.take(k1, "n1");
    CHECK(redis->round_trips() - before <= 2);
    REQUIRE(t);
    CHECK(t->text == "Pay 10 € to ACME");
    CHECK(t->expires == now + 20);
    before = redis->round_trips();
    CHECK_FALSE(store.take(k1, "n1")); // single use
    CHECK(redis->round_trips() - before == 1);
    CHECK(store.take(k2, "n2"));
    CHECK(integer(*redis, {"EXISTS", store.key_of(k1)}) == 0); // an empty hash is no key

    // At most 3 a session: the one expiring first goes.
    for (int i = 0; i < 4; i++)
        store.issue(k1, "q" + std::to_string(i), {"t" + std::to_string(i), now + 20 + i}, now);
    CHECK(integer(*redis, {"HLEN", store.key_of(k1)}) == 3);
    CHECK_FALSE(store.take(k1, "q0"));
    CHECK(store.take(k1, "q3"));
    // The key lives until the latest question's expiry, and its second.
    CHECK(integer(*redis, {"EXPIRETIME", store.key_of(k1)}) == now + 23 + 1);
    // Expired ones go when the next is asked.
    store.issue(k1, "later", {"t", now + 100}, now + 50);
    CHECK(integer(*redis, {"HLEN", store.key_of(k1)}) == 1);
    CHECK(integer(*redis, {"EXPIRETIME", store.key_of(k1)}) == now + 101);

    // Redis forgets them by itself: a question whose time passed.
    store.issue(k2, "soon", {"t", now - 1}, now - 10); // EXPIREAT now: gone at once
    CHECK_FALSE(store.take(k2, "soon"));

    // Something this version cannot read is refused, never accepted.
    redis->command({"HSET", store.key_of(k2), "odd", "{\"v\":9}"});
    CHECK(store_outcome([&] { store.take(k2, "odd"); }) == "unavailable");
}

TEST_CASE("two relying parties on one Redis: a transaction asked on one is confirmed once")
{
    RedisServer server;
    TwoInstances f(server);
    Transactions tx[2] = {
        Transactions(*f.rp[0], std::make_shared<RedisTransactionStore>(f.redis[0], "rp:"), 20),
        Transactions(*f.rp[1], std::make_shared<RedisTransactionStore>(f.redis[1], "rp:"), 20)};
    auto l = f.confirmed_login(0);
    const std::string text = "Pay 1,200.00 EUR to ACME Ltd";

    TransactionChallenge c = tx[0].challenge(l.session.id, text, f.now);
    CHECK(
        verify_message(f.server_key.get(), c.algorithm, as_bytes(c.signing_input()), c.signature));
    auto answer = transaction_answer(f, c);
    Transactions::Confirmed confirmed;
    CHECK(store_outcome([&] { confirmed = tx[1].confirm(l.session.id, answer, f.now + 1); }) ==
          "ok");
    CHECK(confirmed.text == text);
    CHECK(confirmed.session.identity.holder == "Card,Holder,1");
    for (int i : {0, 1})
        CHECK(store_outcome([&] { tx[i].confirm(l.session.id, answer, f.now + 1); }) ==
              "TRANSACTION_UNKNOWN");

    // Each refusal as in memory, across the instances; each uses its question up.
    auto other_key = test::make_ec_key("P-256");
    auto other_cert = f.card_certificate("Card,Other,2", other_key.get());
    auto refused = [&](const std::function<nlohmann::json(const TransactionChallenge &)> &answer_of,
                       std::time_t at = 0) {
        TransactionChallenge q = tx[1].challenge(l.session.id, text, f.now);
        std::string got =
            store_outcome([&] { tx[0].confirm(l.session.id, answer_of(q), at ? at : f.now); });
        CHECK(store_outcome([&] {
                  tx[1].confirm(l.session.id, transaction_answer(f, q), f.now);
              }) == "TRANSACTION_UNKNOWN");
        return got;
    };
    CHECK(refused([&](auto &q) { return transaction_answer(f, q, "Pay 9,999 EUR to EVIL"); }) ==
          "TRANSACTION_TEXT_CHANGED");
    CHECK(refused([&](auto &q) {
              return transaction_answer(f, q, std::nullopt, other_key.get(), other_cert.get());
          }) == "TRANSACTION_WRONG_CARD");
    CHECK(refused([&](auto &q) {
              return transaction_answer(f, q, std::nullopt, other_key.get());
          }) == "TRANSACTION_SIGNATURE_INVALID");
    CHECK(refused([&](auto &q) { return transaction_answer(f, q); }, f.now + 21) ==
          "TRANSACTION_UNKNOWN");

    // Another session's question: not answered, not used up.
    auto l2 = f.confirmed_login(1);
    TransactionChallenge theirs = tx[0].challenge(l2.session.id, text, f.now);
    CHECK(store_outcome([&] {
              tx[1].confirm(l.session.id, transaction_answer(f, theirs), f.now);
          }) == "TRANSACTION_UNKNOWN");
    CHECK(store_outcome(
              [&] { tx[1].confirm(l2.session.id, transaction_answer(f, theirs), f.now); }) == "ok");

    // One confirmation on 16 threads of both instances: one counts.
    for (int round = 0; round < 3; round++) {
        TransactionChallenge q = tx[round % 2].challenge(l.session.id, text, f.now);
        auto a = transaction_answer(f, q);
        std::atomic<int> accepted{0}, unknown{0}, other_outcome{0};
        std::latch start(16);
        std::vector<std::thread> threads;
        for (int t = 0; t < 16; t++)
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                std::string r = store_outcome([&] { tx[t % 2].confirm(l.session.id, a, f.now); });
                (r == "ok" ? accepted : r == "TRANSACTION_UNKNOWN" ? unknown : other_outcome)++;
            });
        for (auto &t : threads)
            t.join();
        CAPTURE(round);
        CHECK(accepted == 1);
        CHECK(unknown == 15);
        CHECK(other_outcome == 0);
    }
}

TEST_CASE("two relying parties on one Redis: transactions send no session id to Redis")
{
    RedisServer server;
    TwoInstances f(server);
    auto watcher = client_of(server, 1);
    Transactions tx0(*f.rp[0], std::make_shared<RedisTransactionStore>(f.redis[0], "rp:"), 20);
    Transactions tx1(*f.rp[1], std::make_shared<RedisTransactionStore>(f.redis[1], "rp:"), 20);
    auto l = f.confirmed_login(0);
    Monitor monitor(server);
    TransactionChallenge c = tx0.challenge(l.session.id, "Pay 5 EUR", f.now);
    std::string held = dump_redis(*watcher);
    CHECK(held.find("rp:transactions:" + session_key(l.session.id)) != std::string::npos);
    tx1.confirm(l.session.id, transaction_answer(f, c), f.now);
    std::string sent = monitor.stop(*watcher);
    CHECK(sent.find("EVALSHA") != std::string::npos);
    CHECK(held.find(l.session.id) == std::string::npos);
    CHECK(sent.find(l.session.id) == std::string::npos);
}

TEST_CASE("redis stopped: StoreUnavailable within the timeout; back when it is back")
{
    RedisServer server;
    auto redis = client_of(server, 2);
    RedisNonceStore nonces(redis, 3600, "t:");
    RedisSessionStore sessions(redis, "t:");
    std::time_t now = std::time(nullptr);
    nonces.issue("before", now + 60);
    sessions.put(make_session("s", now + 100));

    server.stop();
    std::vector<std::pair<std::string, std::function<void()>>> calls = {
        {"ping", [&] { redis->ping(); }},
        {"issue", [&] { nonces.issue("n", now + 60); }},
        {"consume", [&] { nonces.consume("before", now); }},
        {"put", [&] { sessions.put(make_session("p", now + 100)); }},
        {"get", [&] { sessions.get("s"); }},
        {"prove",
         [&] {
             sessions.prove_presence("s", {"t", "n", now, now + 40, false});
         }},
        {"rotate", [&] { sessions.rotate_presence("s", "n", now); }},
        {"erase", [&] { sessions.erase("s"); }},
        {"expire", [&] { sessions.expire(now + 1000); }},
        {"size", [&] { sessions.size(); }},
    };
    for (auto &[name, call] : calls) {
        CAPTURE(name);
        auto t0 = Clock::now();
        CHECK(store_outcome(call) == "unavailable");
        CHECK(Clock::now() - t0 < milliseconds(1500)); // timeouts 500 + 300 ms
    }
    try {
        redis->ping();
        FAIL("answered");
    } catch (const StoreUnavailable &e) {
        CHECK(std::string(e.what()).find(server.url().to_string()) != std::string::npos);
    }

    server.start(); // the same port; an empty Redis (no persistence here)
    CHECK(store_outcome([&] { redis->ping(); }) == "ok");
    CHECK(store_outcome([&] { nonces.issue("after", now + 60); }) == "ok");
    CHECK(store_outcome([&] { nonces.consume("after", now); }) == "ok");
    CHECK(store_outcome([&] { nonces.consume("before", now); }) == "NONCE_UNKNOWN");
    // Both connections of the pool work again.
    auto l1 = redis->lease();
    auto l2 = redis->lease();
    CHECK(reply_text(l1.command({"PING"}).get()) == "PONG");
    CHECK(reply_text(l2.command({"PING"}).get()) == "PONG");
}

TEST_CASE("redis restarted: connections it closed while idle are replaced, no call fails")
{
    RedisServer server;
    auto redis = client_of(server, 3);
    auto all_three = [&] {
        auto l1 = redis->lease();
        auto l2 = redis->lease();
        auto l3 = redis->lease();
        std::vector<std::string> outcomes;
        for (auto *l : {&l1, &l2, &l3})
            outcomes.push_back(store_outcome([&] { l->command({"PING"}); }));
        return outcomes;
    };
    const std::vector<std::string> ok(3, "ok");
    CHECK(all_three() == ok); // every connection of the pool open, then idle
    server.stop();
    server.start();
    // Each idle connection was closed by the Redis that stopped; each lease
    // finds that out before its command and connects again.
    CHECK(all_three() == ok);
}

TEST_CASE("redis frozen: calls time out instead of hanging, then recover")
{
    RedisServer server;
    auto redis = client_of(server, 2);
    RedisSessionStore sessions(redis, "t:");
    RedisNonceStore nonces(redis, 3600, "t:");
    std::time_t now = std::time(nullptr);
    sessions.put(make_session("s", now + 100));
    nonces.issue("n", now + 60);

    server.freeze(); // accepts connections (the kernel does), answers nothing
    for (auto call : std::vector<std::function<void()>>{
             [&] { sessions.get("s"); }, [&] { nonces.consume("n", now); },
             [&] {
                 sessions.prove_presence("s", {"tag-s", "0", now, now + 40, false});
             }}) {
        auto t0 = Clock::now();
        CHECK(store_outcome(call) == "unavailable");
        auto took = Clock::now() - t0;
        CHECK(took >= milliseconds(250)); // it waited for the timeout (300 ms) ...
        CHECK(took < milliseconds(2000)); // ... and no longer
    }
    server.thaw();
    auto s = sessions.get("s"); // a new connection, the same Redis
    REQUIRE(s);
    CHECK(s->id == "s");
}

TEST_CASE("RedisClient: commands, pipelines and scripts (reloaded after SCRIPT FLUSH)")
{
    RedisServer server;
    auto redis = client_of(server, 1);
    auto lease = redis->lease();
    CHECK(reply_text(lease.command({"SET", "k", std::string("a\0b", 3)}).get()) == "OK");
    RedisReply r = lease.command({"GET", "k"});
    CHECK(reply_text(r.get()) == std::string("a\0b", 3)); // binary-safe
    auto before = redis->round_trips();
    auto replies = lease.pipeline({{"INCR", "n"}, {"INCR", "n"}, {"HGET", "k", "f"}});
    CHECK(redis->round_trips() - before == 1);
    REQUIRE(replies.size() == 3);
    CHECK(replies[1]->integer == 2);
    CHECK(is_error(replies[2].get(), "WRONGTYPE")); // returned, not thrown, in a pipeline
    CHECK_THROWS_AS(lease.command({"HGET", "k", "f"}), StoreUnavailable);

    RedisScript add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    CHECK(add.sha1.size() == 40);
    before = redis->round_trips();
    CHECK(lease.eval(add, {"n"}, {"10"})->integer == 12); // NOSCRIPT, then EVAL
    CHECK(redis->round_trips() - before == 2);
    CHECK(lease.eval(add, {"n"}, {"1"})->integer == 13); // EVALSHA alone
    CHECK(redis->round_trips() - before == 3);
    lease.command({"SCRIPT", "FLUSH"});
    before = redis->round_trips();
    auto runs = lease.eval_many(add, {{{"n"}, {"1"}}, {{"n"}, {"1"}}, {{"k"}, {"1"}}});
    CHECK(redis->round_trips() - before == 2);
    REQUIRE(runs.size() == 3);
    CHECK(runs[0]->integer == 14);
    CHECK(runs[1]->integer == 15);
    CHECK(runs[2]->type == REDIS_REPLY_ERROR); // "k" is no number
    RedisScript broken("return redis.call('NOSUCHCOMMAND')");
    CHECK_THROWS_AS(lease.eval(broken, {}, {}), StoreUnavailable);
}

TEST_CASE("the pool: a call waits for a free connection, boundedly")
{
    RedisServer server;
    RedisOptions o = quick(1);
    o.pool_wait = milliseconds(200);
    auto redis = std::make_shared<RedisClient>(server.url(), o);
    {
        auto held = redis->lease();
        auto t0 = Clock::now();
        CHECK(store_outcome([&] { redis->ping(); }) == "unavailable");
        CHECK(Clock::now() - t0 >= milliseconds(150));
    }
    CHECK(store_outcome([&] { redis->ping(); }) == "ok");
    // SELECT: the database of the URL.
    auto db3 = std::make_shared<RedisClient>(RedisUrl{"127.0.0.1", server.port(), 3}, quick(1));
    db3->command({"SET", "k", "in 3"});
    CHECK(integer(*redis, {"EXISTS", "k"}) == 0);
    RedisReply r = db3->command({"GET", "k"});
    CHECK(reply_text(r.get()) == "in 3");
    auto db99 = std::make_shared<RedisClient>(RedisUrl{"127.0.0.1", server.port(), 99}, quick(1));
    CHECK(store_outcome([&] { db99->ping(); }) == "unavailable");
}

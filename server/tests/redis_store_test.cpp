// The Redis stores against a real redis-server, started by each test on a
// free loopback port and killed after it (also when an assertion fails, and
// by the kernel if this process dies first). Without redis-server the tests
// fail, saying so: nothing is skipped.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "store/redis_nonce_store.h"
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

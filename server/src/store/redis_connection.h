// A small client for Redis on top of hiredis (no hand-written RESP): a
// fixed pool of blocking connections, each bounded in time, so that a store
// call either answers or throws StoreUnavailable within its timeouts, never
// hangs, never guesses.
//
// Why a pool and not one context behind a mutex: each call blocks for its
// round trip (two for a script Redis does not know yet), and with one
// context every store call of the instance would queue behind the one in
// flight; with a pool of a few connections (about the number of threads
// that call the stores) they run side by side, and a MULTI ... EXEC still
// has its connection to itself.
//
// Failures: a connection that fails (refused, reset, timed out, a protocol
// error) is closed at once and the call throws StoreUnavailable; the next
// call on that slot connects again, so the client recovers by itself when
// Redis is back. A connection Redis closed while it sat idle in the pool
// (Redis restarted) is found when a lease takes it, and replaced. An error reply from Redis (OOM
// under maxmemory, LOADING, READONLY after a failover, a wrong type) also throws StoreUnavailable:
// the caller fails closed. Writing to a socket Redis closed may raise SIGPIPE: the process must
// ignore it (cardbound-server does).
//
// Not supported (yet): AUTH / ACL users, TLS (rediss://), Unix sockets,
// Redis Cluster (the session store's transactions span two keys).
#pragma once

#include "validation/store_unavailable.h"

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cardbound::server
{

// redis://HOST:PORT/DB, nothing else: HOST a name, an IPv4 address or an
// IPv6 address in brackets; PORT 1..65535; DB a database number (selected
// with SELECT after each connect). No user or password, query or fragment.
struct RedisUrl {
    std::string host; // without brackets
    int port = 6379;
    int db = 0;

    // Throws std::invalid_argument saying what is wrong.
    static RedisUrl parse(std::string_view url);
    std::string to_string() const;
};

struct RedisReplyDeleter {
    void operator()(redisReply *r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// One command: its arguments, binary-safe (sent with redisCommandArgv).
using RedisCommand = std::vector<std::string>;

// A Lua script, run by its SHA-1 (EVALSHA); sent whole (EVAL, which caches
// it) only when Redis does not know it yet, after a restart or SCRIPT FLUSH.
struct RedisScript {
    explicit RedisScript(std::string source);
    std::string source;
    std::string sha1; // lowercase hex
};

struct RedisOptions {
    std::chrono::milliseconds connect_timeout{1000};
    // Every read and write of a command (SO_RCVTIMEO / SO_SNDTIMEO).
    std::chrono::milliseconds command_timeout{1000};
    // How long a call waits for a free connection of the pool.
    std::chrono::milliseconds pool_wait{1000};
    std::size_t connections = 4;
};

class RedisClient
{
    struct Slot;

  public:
    explicit RedisClient(RedisUrl url, RedisOptions options = {});
    ~RedisClient();
    RedisClient(const RedisClient &) = delete;
    RedisClient &operator=(const RedisClient &) = delete;

    // One connection of the pool, held until the lease goes out of scope.
    // A MULTI ... EXEC goes in one pipeline() call: a connection that fails
    // is closed, and the lease's next call would run on a new one.
    class Lease
    {
      public:
        Lease(Lease &&other) noexcept;
        Lease &operator=(Lease &&) = delete;
        ~Lease();

        // One command; an error reply throws StoreUnavailable.
        RedisReply command(const RedisCommand &args);
        // Several commands in one round trip, their replies in order; error
        // replies are returned, not thrown (inside MULTI they are expected).
        std::vector<RedisReply> pipeline(const std::vector<RedisCommand> &commands);
        // EVALSHA (falling back to EVAL); an error reply throws.
        RedisReply eval(const RedisScript &script, const std::vector<std::string> &keys,
                        const std::vector<std::string> &args);
        // Many runs of one script in one round trip (plus one more for the
        // runs Redis answered NOSCRIPT, sent again with EVAL). Error replies
        // of the script are returned, not thrown.
        std::vector<RedisReply> eval_many(
            const RedisScript &script,
            const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> &runs);

      private:
        friend class RedisClient;
        Lease(RedisClient *client, Slot *slot) : client_(client), slot_(slot) {}
        redisContext *connected();
        [[noreturn]] void fail(const std::string &what);

        RedisClient *client_;
        Slot *slot_;
    };

    // Waits (at most options.pool_wait) for a connection; connects it if it
    // is not (connect timeout, then SELECT). Throws StoreUnavailable.
    Lease lease();
    // One command on any connection (a lease for its duration).
    RedisReply command(const RedisCommand &args);
    // PING: throws StoreUnavailable saying why when Redis does not answer.
    void ping();

    const RedisUrl &url() const { return url_; }
    const RedisOptions &options() const { return options_; }
    // Round trips made since the start (a pipeline counts one): for tests
    // and the benchmark's "round trips per presence proof".
    std::uint64_t round_trips() const { return round_trips_.load(); }

  private:
    void release(Slot *slot);
    std::unique_ptr<redisContext, void (*)(redisContext *)> connect();

    RedisUrl url_;
    RedisOptions options_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<Slot>> slots_;
    std::vector<Slot *> idle_;
    std::atomic<std::uint64_t> round_trips_{0};
};

// The text of a string, status or error reply (empty for other types).
std::string reply_text(const redisReply *r);
bool is_error(const redisReply *r, std::string_view prefix = {});

} // namespace cardbound::server

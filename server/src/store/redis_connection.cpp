#include "store/redis_connection.h"

#include "cardbound/crypto/encoding.h"
#include "cardbound/crypto/signature.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>
#include <sys/socket.h>
#include <sys/time.h>

namespace cardbound::server
{

namespace
{

timeval to_timeval(std::chrono::milliseconds ms)
{
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

// Decimal digits only (no sign, no spaces), at most `max_digits` of them.
std::optional<int> decimal(std::string_view text, std::size_t max_digits)
{
    if (text.empty() || text.size() > max_digits)
        return std::nullopt;
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

bool host_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

bool ipv6_char(char c)
{
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
           c == '.';
}

// Whether a pooled connection can still carry a command, found without a
// round trip: nothing to read means open; end of stream means Redis closed
// it; bytes nobody asked for mean the connection is out of step.
bool still_open(int fd)
{
    char byte;
    ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::string describe_command(const RedisCommand &args)
{
    return args.empty() ? std::string("(nothing)") : args.front();
}

} // namespace

RedisUrl RedisUrl::parse(std::string_view url)
{
    auto bad = [&](const std::string &why) {
        throw std::invalid_argument("the store URL \"" + std::string(url) +
                                    "\" is not redis://HOST:PORT/DB: " + why);
    };
    constexpr std::string_view scheme = "redis://";
    if (url.starts_with("rediss://"))
        bad("TLS (rediss://) is not supported");
    if (!url.starts_with(scheme))
        bad("it must start with redis://");
    std::string_view rest = url.substr(scheme.size());
    if (rest.find('@') != std::string_view::npos)
        bad("a user or password is not supported");
    if (rest.find_first_of("?#") != std::string_view::npos)
        bad("a query or fragment is not allowed");

    RedisUrl r;
    std::string_view after_host;
    if (rest.starts_with('[')) {
        auto close = rest.find(']');
        if (close == std::string_view::npos)
            bad("the IPv6 address has no closing ]");
        std::string_view host = rest.substr(1, close - 1);
        if (host.empty() || host.find(':') == std::string_view::npos ||
            !std::all_of(host.begin(), host.end(), ipv6_char))
            bad("the IPv6 address in brackets is malformed");
        r.host = host;
        after_host = rest.substr(close + 1);
    } else {
        auto colon = rest.find(':');
        std::string_view host = rest.substr(0, std::min(colon, rest.find('/')));
        if (host.empty())
            bad("the host is missing");
        if (!std::all_of(host.begin(), host.end(), host_name_char) || host.front() == '-' ||
            host.front() == '.')
            bad("the host is not a name or an address");
        r.host = host;
        after_host = rest.substr(host.size());
    }
    if (!after_host.starts_with(':'))
        bad("the port is missing");
    after_host.remove_prefix(1);
    auto slash = after_host.find('/');
    if (slash == std::string_view::npos)
        bad("the database number is missing");
    auto port = decimal(after_host.substr(0, slash), 5);
    if (!port || *port < 1 || *port > 65535)
        bad("the port must be a number from 1 to 65535");
    auto db = decimal(after_host.substr(slash + 1), 9);
    if (!db)
        bad("the database must be a number (0, 1, ...), with nothing after it");
    r.port = *port;
    r.db = *db;
    return r;
}

std::string RedisUrl::to_string() const
{
    bool v6 = host.find(':') != std::string::npos;
    return "redis://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" +
           std::to_string(db);
}

RedisScript::RedisScript(std::string text) : source(std::move(text))
{
    sha1 = hex_encode(digest(EVP_sha1(), as_bytes(source)));
}

std::string reply_text(const redisReply *r)
{
    if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
              r->type == REDIS_REPLY_ERROR))
        return std::string(r->str, r->len);
    return {};
}

bool is_error(const redisReply *r, std::string_view prefix)
{
    return r && r->type == REDIS_REPLY_ERROR &&
           std::string_view(r->str, r->len).starts_with(prefix);
}

struct RedisClient::Slot {
    std::unique_ptr<redisContext, void (*)(redisContext *)> context{nullptr, redisFree};
};

RedisClient::RedisClient(RedisUrl url, RedisOptions options)
    : url_(std::move(url)), options_(options)
{
    if (options_.connections < 1)
        throw std::invalid_argument("a Redis client needs 1 connection or more");
    if (options_.connect_timeout.count() <= 0 || options_.command_timeout.count() <= 0)
        throw std::invalid_argument("Redis timeouts must be positive (nothing may hang)");
    for (std::size_t i = 0; i < options_.connections; i++) {
        slots_.push_back(std::make_unique<Slot>());
        idle_.push_back(slots_.back().get());
    }
}

RedisClient::~RedisClient() = default;

std::unique_ptr<redisContext, void (*)(redisContext *)> RedisClient::connect()
{
    std::unique_ptr<redisContext, void (*)(redisContext *)> c(
        redisConnectWithTimeout(url_.host.c_str(), url_.port, to_timeval(options_.connect_timeout)),
        redisFree);
    std::string where = "Redis at " + url_.to_string();
    if (!c)
        throw StoreUnavailable(where + ": no memory for a connection");
    if (c->err)
        throw StoreUnavailable(where + ": cannot connect: " + c->errstr);
    if (redisSetTimeout(c.get(), to_timeval(options_.command_timeout)) != REDIS_OK)
        throw StoreUnavailable(where + ": cannot set the command timeout: " + c->errstr);
    if (url_.db != 0) {
        std::string db = std::to_string(url_.db);
        const char *argv[] = {"SELECT", db.c_str()};
        const std::size_t lens[] = {6, db.size()};
        RedisReply r(static_cast<redisReply *>(redisCommandArgv(c.get(), 2, argv, lens)));
        round_trips_++;
        if (!r)
            throw StoreUnavailable(where + ": SELECT " + db + ": " + c->errstr);
        if (r->type == REDIS_REPLY_ERROR)
            throw StoreUnavailable(where + ": SELECT " + db + ": " + reply_text(r.get()));
    }
    return c;
}

RedisClient::Lease RedisClient::lease()
{
    Slot *slot = nullptr;
    {
        std::unique_lock lock(mutex_);
        if (!freed_.wait_for(lock, options_.pool_wait, [&] { return !idle_.empty(); }))
            throw StoreUnavailable("Redis at " + url_.to_string() + ": all " +
                                   std::to_string(slots_.size()) + " connections stayed busy for " +
                                   std::to_string(options_.pool_wait.count()) + " ms");
        slot = idle_.back();
        idle_.pop_back();
    }
    // A Redis that stopped closed every connection, and one that sat idle in
    // the pool meanwhile is only found out by using it: without this look,
    // the first calls after Redis is back (one per idle connection, health
    // checks among them) would fail although Redis answers. Looked at once,
    // as the lease begins: within a lease, a connection is never swapped
    // silently.
    if (slot->context && !still_open(slot->context->fd))
        slot->context.reset();
    Lease lease(this, slot); // gives the slot back however this ends
    lease.connected();
    return lease;
}

void RedisClient::release(Slot *slot)
{
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(slot);
    }
    freed_.notify_one();
}

RedisReply RedisClient::command(const RedisCommand &args)
{
    return lease().command(args);
}

void RedisClient::ping()
{
    RedisReply r = command({"PING"});
    if (reply_text(r.get()) != "PONG")
        throw StoreUnavailable("Redis at " + url_.to_string() + " answered PING with \"" +
                               reply_text(r.get()) + "\"");
}

RedisClient::Lease::Lease(Lease &&other) noexcept : client_(other.client_), slot_(other.slot_)
{
    other.slot_ = nullptr;
}

RedisClient::Lease::~Lease()
{
    if (slot_)
        client_->release(slot_);
}

redisContext *RedisClient::Lease::connected()
{
    if (!slot_->context)
        slot_->context = client_->connect();
    return slot_->context.get();
}

void RedisClient::Lease::fail(const std::string &what)
{
    // The connection's state is unknown now (a reply may be half read):
    // close it; the next call on this slot connects again.
    std::string reason =
        slot_->context && slot_->context->err ? slot_->context->errstr : "the connection failed";
    if (reason == "Resource temporarily unavailable") // SO_RCVTIMEO / SO_SNDTIMEO ran out
        reason =
            "no answer within " + std::to_string(client_->options_.command_timeout.count()) + " ms";
    slot_->context.reset();
    throw StoreUnavailable("Redis at " + client_->url_.to_string() + ": " + what + ": " + reason);
}

RedisReply RedisClient::Lease::command(const RedisCommand &args)
{
    auto replies = pipeline({args});
    RedisReply r = std::move(replies.front());
    if (r->type == REDIS_REPLY_ERROR)
        throw StoreUnavailable("Redis at " + client_->url_.to_string() + " refused " +
                               describe_command(args) + ": " + reply_text(r.get()));
    return r;
}

std::vector<RedisReply> RedisClient::Lease::pipeline(const std::vector<RedisCommand> &commands)
{
    redisContext *c = connected();
    std::vector<const char *> argv;
    std::vector<std::size_t> lens;
    for (const RedisCommand &args : commands) {
        argv.clear();
        lens.clear();
        for (const std::string &a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
            REDIS_OK)
            fail("cannot send " + describe_command(args));
    }
    client_->round_trips_++;
    std::vector<RedisReply> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); i++) {
        void *reply = nullptr;
        if (redisGetReply(c, &reply) != REDIS_OK || !reply)
            fail("no answer to " + describe_command(commands[i]));
        replies.emplace_back(static_cast<redisReply *>(reply));
    }
    return replies;
}

namespace
{

RedisCommand script_command(const char *verb, const std::string &body,
                            const std::vector<std::string> &keys,
                            const std::vector<std::string> &args)
{
    RedisCommand cmd{verb, body, std::to_string(keys.size())};
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    return cmd;
}

} // namespace

RedisReply RedisClient::Lease::eval(const RedisScript &script, const std::vector<std::string> &keys,
                                    const std::vector<std::string> &args)
{
    RedisReply r = std::move(eval_many(script, {{keys, args}}).front());
    if (r->type == REDIS_REPLY_ERROR)
        throw StoreUnavailable("Redis at " + client_->url_.to_string() +
                               " refused a script: " + reply_text(r.get()));
    return r;
}

std::vector<RedisReply> RedisClient::Lease::eval_many(
    const RedisScript &script,
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> &runs)
{
    std::vector<RedisCommand> commands;
    for (const auto &[keys, args] : runs)
        commands.push_back(script_command("EVALSHA", script.sha1, keys, args));
    std::vector<RedisReply> replies = pipeline(commands);
    // A run answered NOSCRIPT did not run: send those again with the body.
    std::vector<std::size_t> again;
    commands.clear();
    for (std::size_t i = 0; i < replies.size(); i++)
        if (is_error(replies[i].get(), "NOSCRIPT")) {
            again.push_back(i);
            commands.push_back(
                script_command("EVAL", script.source, runs[i].first, runs[i].second));
        }
    if (!again.empty()) {
        std::vector<RedisReply> second = pipeline(commands);
        for (std::size_t j = 0; j < again.size(); j++)
            replies[again[j]] = std::move(second[j]);
    }
    return replies;
}

} // namespace cardbound::server

#include "store/redis_session_events.h"

#include "http/log_throttle.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>
#include <unistd.h>
#include <vector>

namespace cardbound::server
{

namespace
{

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

timeval to_timeval(milliseconds ms)
{
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

bool is_key(std::string_view key)
{
    return key.size() == 64 && std::all_of(key.begin(), key.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

// A registry reason is a short word of lowercase letters and dashes; the
// hub's kLostTrack (empty) is never one.
bool is_reason(std::string_view reason)
{
    return !reason.empty() && reason.size() <= 64 &&
           std::all_of(reason.begin(), reason.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

std::string element(const redisReply *r, std::size_t i)
{
    return r->type == REDIS_REPLY_ARRAY && i < r->elements ? reply_text(r->element[i]) : "";
}

} // namespace

RedisSessionEvents::RedisSessionEvents(std::shared_ptr<RedisClient> redis, Handlers handlers,
                                       Options options)
    : redis_(std::move(redis)), handlers_(std::move(handlers)), options_(std::move(options)),
      channel_(options_.prefix + "ended")
{
    if (options_.ping_every.count() <= 0 || options_.pong_timeout.count() <= 0 ||
        options_.min_backoff.count() <= 0 || options_.max_backoff < options_.min_backoff)
        throw std::invalid_argument("RedisSessionEvents: timeouts must be positive");
    if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
        throw std::runtime_error("RedisSessionEvents: pipe2 failed");
    thread_ = std::thread([this] { run(); });
}

RedisSessionEvents::~RedisSessionEvents()
{
    stopping_ = true;
    char byte = 1;
    [[maybe_unused]] auto written = write(wake_[1], &byte, 1);
    thread_.join();
    close(wake_[0]);
    close(wake_[1]);
}

std::string RedisSessionEvents::message(const std::string &key, std::string_view reason)
{
    return nlohmann::json{{"session", key}, {"reason", reason}}.dump();
}

bool RedisSessionEvents::parse(std::string_view message, std::string &key, std::string &reason)
{
    auto j = nlohmann::json::parse(message, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("session") || !j.contains("reason") ||
        !j["session"].is_string() || !j["reason"].is_string())
        return false;
    key = j["session"].get<std::string>();
    reason = j["reason"].get<std::string>();
    return is_key(key) && is_reason(reason);
}

bool RedisSessionEvents::publish(const std::string &key, std::string_view reason)
{
    static LogThrottle log(std::chrono::seconds(1));
    try {
        redis_->command({"PUBLISH", channel_, message(key, reason)});
        return true;
    } catch (const StoreUnavailable &e) {
        if (auto n = log.note())
            spdlog::warn("a session end was not published to the other instances: {}{}", e.what(),
                         n > 1 ? " (" + std::to_string(n) + " ends)" : "");
        return false;
    }
}

bool RedisSessionEvents::wait(int fd, milliseconds timeout, bool &readable)
{
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
    int n = poll(fds, fd >= 0 ? 2 : 1, static_cast<int>(std::max<long>(0, timeout.count())));
    if (n < 0 && errno != EINTR)
        throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    readable = n > 0 && fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR));
    return !stopping_;
}

void RedisSessionEvents::run()
{
    milliseconds backoff = options_.min_backoff;
    LogThrottle retry_log(std::chrono::seconds(10));
    bool readable = false;
    while (!stopping_) {
        std::string why;
        try {
            subscribe_once();
        } catch (const std::exception &e) {
            why = e.what();
        }
        if (stopping_)
            break;
        if (subscribed_.exchange(false)) {
            // Heard every end until now: start again quickly.
            backoff = options_.min_backoff;
            spdlog::warn("session ends from other instances: subscription to {} lost ({}); "
                         "closing this instance's event streams until it is back",
                         channel_, why);
            if (handlers_.lost)
                handlers_.lost(why);
        } else if (retry_log.note()) {
            spdlog::warn("session ends from other instances: cannot subscribe to {} ({}); "
                         "trying again",
                         channel_, why);
        }
        if (!wait(-1, backoff, readable))
            break;
        backoff = std::min(backoff * 2, options_.max_backoff);
    }
}

void RedisSessionEvents::subscribe_once()
{
    const RedisUrl &url = redis_->url();
    const std::string where = "Redis at " + url.to_string();
    std::unique_ptr<redisContext, void (*)(redisContext *)> c(
        redisConnectWithTimeout(url.host.c_str(), url.port,
                                to_timeval(redis_->options().connect_timeout)),
        redisFree);
    if (!c)
        throw std::runtime_error(where + ": no memory for a connection");
    if (c->err)
        throw std::runtime_error(where + ": cannot connect: " + c->errstr);
    // Reads happen only once poll() says there are bytes (a hiredis read
    // timeout would leave the context unusable); writes, small, are bounded.
    if (redisSetTimeout(c.get(), to_timeval(redis_->options().command_timeout)) != REDIS_OK)
        throw std::runtime_error(where + ": cannot set a timeout: " + c->errstr);

    auto send = [&](std::initializer_list<std::string_view> args) {
        std::vector<const char *> argv;
        std::vector<std::size_t> lens;
        for (auto a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        if (redisAppendCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(),
                                   lens.data()) != REDIS_OK)
            throw std::runtime_error(where + ": " + c->errstr);
        int done = 0;
        while (!done)
            if (redisBufferWrite(c.get(), &done) != REDIS_OK)
                throw std::runtime_error(where + ": " + c->errstr);
    };
    // Channels are not per database: no SELECT.
    send({"SUBSCRIBE", channel_});

    // Until the subscription is confirmed, and while a PING is unanswered:
    // the time by which Redis must have answered.
    std::optional<Clock::time_point> answer_by = Clock::now() + redis_->options().connect_timeout;
    Clock::time_point quiet_since = Clock::now();
    LogThrottle bad_log(std::chrono::seconds(10));
    for (;;) {
        auto now = Clock::now();
        if (answer_by && now >= *answer_by)
            throw std::runtime_error(
                where + ": no answer within " +
                std::to_string(subscribed_ ? options_.pong_timeout.count()
                                           : redis_->options().connect_timeout.count()) +
                " ms");
        if (!answer_by && now - quiet_since >= options_.ping_every) {
            send({"PING"});
            answer_by = now + options_.pong_timeout;
        }
        auto until = answer_by ? *answer_by : quiet_since + options_.ping_every;
        bool readable = false;
        if (!wait(c->fd, std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1),
                  readable))
            return;
        if (!readable)
            continue;
        if (redisBufferRead(c.get()) != REDIS_OK)
            throw std::runtime_error(
                where + ": " +
                (c->err == REDIS_ERR_EOF ? "the connection closed" : std::string(c->errstr)));
        quiet_since = Clock::now();
        for (;;) {
            void *raw = nullptr;
            if (redisGetReplyFromReader(c.get(), &raw) != REDIS_OK)
                throw std::runtime_error(where + ": " + c->errstr);
            if (!raw)
                break;
            RedisReply r(static_cast<redisReply *>(raw));
            if (r->type == REDIS_REPLY_ERROR)
                throw std::runtime_error(where + ": " + reply_text(r.get()));
            std::string kind = element(r.get(), 0);
            if (kind == "message") {
                std::string key, reason;
                if (parse(element(r.get(), 2), key, reason)) {
                    if (handlers_.ended)
                        handlers_.ended(key, reason);
                } else if (bad_log.note()) {
                    spdlog::warn("a message on {} that is no session end was ignored", channel_);
                }
            } else if (kind == "subscribe") {
                answer_by.reset();
                subscribed_ = true;
                spdlog::info("session ends from other instances: subscribed to {} on {}", channel_,
                             url.to_string());
                if (handlers_.subscribed)
                    handlers_.subscribed();
            } else if (kind == "pong") {
                answer_by.reset();
            }
        }
    }
}

} // namespace cardbound::server

// Session ends told to every instance through Redis pub/sub, so that a
// logout on instance A closes the event streams (the tabs) held by B.
//
// The instance that ends a session (a logout, a refused presence proof, a
// late session found by a request or by its expiry sweep, which hands each
// ended session to exactly one instance) tells its own streams directly and
// PUBLISHes the end on one channel (PREFIX "ended", default
// "cardbound:ended"): {"session": KEY, "reason": REASON}, KEY being
// EventHub::key_of(id), the SHA-256 of the session id. Never the id itself:
// it is the session's cookie, and whoever can SUBSCRIBE (any client of that
// Redis: channels are not per database either) would otherwise read live
// cookies. Every instance subscribes and hands each message to `ended`; its
// own messages come back too and are told twice, which the hub ignores, so
// no instance id is needed.
//
// Pub/sub delivers at most once, to whoever is subscribed at that moment: a
// subscriber that loses Redis misses ends. So when the subscription drops
// (or cannot be made), `lost` is called and the caller must stop trusting
// its streams (EventHub::lose_track closes them; the tabs reconnect and ask
// the server again) until `subscribed` says the subscription stands again.
// The caller starts in the lost state (nothing is subscribed before the
// first `subscribed`).
//
// The subscriber is one thread with its own hiredis connection (a
// subscribed connection can do nothing else, so it is not one of the
// RedisClient's pool), connecting again with back-off (min_backoff doubling
// up to max_backoff) for as long as the object lives. It finds a silent
// Redis by PING: after ping_every without a byte it sends one, and a pong
// not back within pong_timeout counts as lost. Redis stopped or restarted
// closes the socket and is noticed at once.
//
// Round trips: an end costs the ending instance one PUBLISH (besides the
// store's own erase); delivery is Redis pushing one message to each
// subscriber.
#pragma once

#include "store/redis_connection.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace cardbound::server
{

class RedisSessionEvents
{
  public:
    // Called on the subscriber's thread: they must not block for long.
    struct Handlers {
        // A session ended (on any instance, this one included).
        std::function<void(const std::string &key, const std::string &reason)> ended;
        // The subscription stands: from now on every end is heard.
        std::function<void()> subscribed;
        // The subscription dropped (called once a drop, with why): ends
        // may be missed until `subscribed` is called again.
        std::function<void(const std::string &why)> lost;
    };
    struct Options {
        std::string prefix = "cardbound:"; // the channel is PREFIX "ended"
        std::chrono::milliseconds ping_every{1000};
        std::chrono::milliseconds pong_timeout{1000};
        std::chrono::milliseconds min_backoff{100};
        std::chrono::milliseconds max_backoff{1000};
    };

    // Starts the subscriber. `redis` publishes, and gives the URL and the
    // connect timeout of the subscriber's own connection.
    RedisSessionEvents(std::shared_ptr<RedisClient> redis, Handlers handlers, Options options);
    RedisSessionEvents(std::shared_ptr<RedisClient> redis, Handlers handlers)
        : RedisSessionEvents(std::move(redis), std::move(handlers), Options())
    {
    }
    // Stops and joins the subscriber (within the connect timeout at most).
    ~RedisSessionEvents();
    RedisSessionEvents(const RedisSessionEvents &) = delete;
    RedisSessionEvents &operator=(const RedisSessionEvents &) = delete;

    // PUBLISHes an end (one round trip). False, logged, when Redis does not
    // answer: the other instances' subscriptions then dropped too, or their
    // streams find the session gone at their next keep-alive check.
    bool publish(const std::string &key, std::string_view reason);

    const std::string &channel() const { return channel_; }
    bool subscribed() const { return subscribed_.load(); }

    // The message's form; parse() returns false for anything else.
    static std::string message(const std::string &key, std::string_view reason);
    static bool parse(std::string_view message, std::string &key, std::string &reason);

  private:
    void run();
    // One connection's life: returns when stopping, throws why it ended.
    void subscribe_once();
    // Waits up to `timeout` for the fd (or only for a stop when fd < 0);
    // false when stopping.
    bool wait(int fd, std::chrono::milliseconds timeout, bool &readable);

    std::shared_ptr<RedisClient> redis_;
    Handlers handlers_;
    Options options_;
    std::string channel_;
    std::atomic<bool> stopping_{false}, subscribed_{false};
    int wake_[2] = {-1, -1}; // a pipe: the destructor writes to stop a wait at once
    std::thread thread_;
};

} // namespace cardbound::server

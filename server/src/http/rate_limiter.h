// Per-client-address limits for the endpoints anyone may call without a
// session (POST /cardbound/challenge and /cardbound/login): a token bucket
// per address, `rate` requests a second with bursts of `burst`; beyond it the
// request is answered 429 with Retry-After and counted. So one address
// flooding challenges (each one a signature and a nonce kept) cannot slow
// down everyone else's logins. Bounded in memory: at most `max_clients`
// buckets, the longest idle dropped first (its client starts full again).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cardbound::server
{

class RateLimiter
{
  public:
    using Clock = std::chrono::steady_clock;
    struct Config {
        double rate = 20;  // requests a second per address; 0: no limit
        double burst = 60; // requests at once
        std::size_t max_clients = 100'000;
    };

    explicit RateLimiter(Config config);
    // 0 when the client may go on (one request taken); else the whole
    // seconds after which it may (for Retry-After, at least 1).
    int take(const std::string &client, Clock::time_point now);
    std::size_t clients() const;

  private:
    struct Bucket {
        double tokens;
        Clock::time_point last;
        std::list<std::string>::iterator idle; // its place in idle_
    };
    Config config_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
    std::list<std::string> idle_; // most recently used first
};

} // namespace cardbound::server

#include "http/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cardbound::server
{

RateLimiter::RateLimiter(Config config) : config_(config)
{
    if (config_.rate < 0 || (config_.rate > 0 && config_.burst < 1) || config_.max_clients < 1)
        throw std::invalid_argument(
            "a rate limit needs a rate of 0 or more and a burst of 1 or more");
}

int RateLimiter::take(const std::string &client, Clock::time_point now)
{
    if (config_.rate == 0)
        return 0;
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(client);
    if (it == buckets_.end()) {
        if (buckets_.size() >= config_.max_clients) {
            buckets_.erase(idle_.back());
            idle_.pop_back();
        }
        idle_.push_front(client);
        it = buckets_.emplace(client, Bucket{config_.burst, now, idle_.begin()}).first;
    } else {
        idle_.splice(idle_.begin(), idle_, it->second.idle);
        std::chrono::duration<double> elapsed = now - it->second.last;
        it->second.tokens =
            std::min(config_.burst, it->second.tokens + elapsed.count() * config_.rate);
        it->second.last = now;
    }
    Bucket &b = it->second;
    if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / config_.rate)));
}

std::size_t RateLimiter::clients() const
{
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

} // namespace cardbound::server

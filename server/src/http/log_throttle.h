// At most one log line a period for an event that an attacker can repeat at
// will (refused connections, accept failures), counting the rest: a flood
// must not turn into gigabytes of log.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace cardbound::server
{

class LogThrottle
{
  public:
    explicit LogThrottle(std::chrono::steady_clock::duration period) : period_(period.count()) {}

    // Records one event. Returns how many events happened since the last
    // line was allowed (this one included) when a line is due now, else 0.
    std::uint64_t note()
    {
        ++count_;
        auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        auto due = next_.load();
        if (now < due || !next_.compare_exchange_strong(due, now + period_))
            return 0;
        return count_.exchange(0);
    }

  private:
    const std::int64_t period_;
    std::atomic<std::int64_t> next_{0};
    std::atomic<std::uint64_t> count_{0};
};

} // namespace cardbound::server

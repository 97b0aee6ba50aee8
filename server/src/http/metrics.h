// What cardbound-server counts, for GET /metrics (Prometheus text format):
// counters, gauges, and latency histograms. Atomic: the listener's threads
// serve requests at the same time.
#pragma once

#include "cardbound/protocol/registry.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace cardbound::server
{

// A Prometheus histogram of durations with fixed buckets (cumulative, as
// Prometheus wants them), lock-free.
class LatencyHistogram
{
  public:
    static constexpr std::array<double, 12> kBounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                    0.01,   0.025,   0.05,   0.1,   0.5,    2.5};
    void observe(std::chrono::steady_clock::duration d);
    void prometheus(std::string &out, const char *name, const char *help) const;

  private:
    std::array<std::atomic<unsigned long>, kBounds.size()> buckets_{};
    std::atomic<unsigned long> count_{0}, micros_{0};
};

struct Metrics {
    std::atomic<unsigned long> requests{0}, logins_ok{0}, logins_refused{0}, confirms{0},
        presence_ok{0}, presence_refused{0}, sessions_ended_late{0}, logouts{0},
        connections_refused{0}, rate_limited{0}, store_unavailable{0}, transactions_asked{0},
        transactions_confirmed{0};
    // Refused transaction confirmations, by validation code (the index).
    std::array<std::atomic<unsigned long>, registry::kValidationCodes.size()>
        transactions_refused{};
    // Gauges, kept by the listener.
    std::atomic<long> open_connections{0}, open_event_streams{0};
    LatencyHistogram validation_seconds, presence_seconds;
    // Unanswered challenges the nonce store forgot early, being full (a
    // store that keeps them elsewhere leaves it unset).
    std::function<std::size_t()> nonces_dropped;
    // Round trips to Redis since the start (RedisClient::round_trips); set
    // only when the store is Redis, so the counter is absent otherwise.
    std::function<std::uint64_t()> redis_round_trips;
    // live_sessions: unknown when the store does not answer (the gauge is
    // left out rather than reported as 0).
    std::string prometheus(std::optional<std::size_t> live_sessions) const;
};

} // namespace cardbound::server

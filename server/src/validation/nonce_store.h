// Single-use nonces with an expiry. The interface lets a deployment keep
// them in a shared store; the default keeps them in memory, thread-safe.
#pragma once

#include <cstddef>
#include <ctime>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cardbound::server
{

class NonceStore
{
  public:
    virtual ~NonceStore() = default;
    // Remembers an issued nonce until `expires`.
    virtual void issue(const std::string &nonce, std::time_t expires) = 0;
    // Uses a nonce up. Throws ValidationError: NONCE_UNKNOWN (never issued or
    // long forgotten), NONCE_EXPIRED, NONCE_REUSED.
    virtual void consume(const std::string &nonce, std::time_t now) = 0;
};

// In memory, bounded, O(log n) an operation, never a scan. Two parts:
// - the nonces issued and not yet used: a hash map with a time index of
//   their expiry; when full, the one expiring first goes (its answer is then
//   NONCE_UNKNOWN) and is counted in dropped();
// - the used ones, kept `keep_used_seconds` so that a replay is told as a
//   replay: first in, first out, with a bound of their own. Forgetting a
//   used nonce early only turns a replay's NONCE_REUSED into NONCE_UNKNOWN
//   (still refused), so a flood of logins — even ones whose tokens are
//   refused, each of which uses its nonce up — never pushes out a challenge
//   a real user has yet to answer.
class MemoryNonceStore : public NonceStore
{
  public:
    static constexpr std::size_t kDefaultMaxNonces = 250'000;
    // `max_nonces` bounds each part.
    explicit MemoryNonceStore(int keep_used_seconds = 3600,
                              std::size_t max_nonces = kDefaultMaxNonces);
    void issue(const std::string &nonce, std::time_t expires) override;
    void consume(const std::string &nonce, std::time_t now) override;
    std::size_t size() const; // issued and not used, plus used and remembered
    // Unused nonces forgotten early because the store was full, since the start.
    std::size_t dropped() const;

  private:
    void forget_old(std::time_t now);

    int keep_used_;
    std::size_t max_nonces_;
    std::size_t dropped_ = 0;
    mutable std::mutex mutex_;
    // Issued, not used: nonce -> expiry, and (expiry, nonce) earliest first.
    // A used nonce leaves its index entry behind, skipped when it comes up.
    std::unordered_map<std::string, std::time_t> unused_;
    using Due = std::pair<std::time_t, std::string>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> expiries_;
    // Used: the set, and (forget at, nonce) in the order they were used.
    std::unordered_set<std::string> used_;
    std::deque<Due> used_order_;
};

} // namespace cardbound::server

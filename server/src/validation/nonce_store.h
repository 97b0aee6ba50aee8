// Single-use nonces with an expiry. The interface lets a deployment keep
// them in a shared store; the default keeps them in memory, thread-safe.
#pragma once

#include <cstddef>
#include <ctime>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>
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

// In memory, bounded, O(log n) an operation: a hash map of the nonces and a
// time index of when each may be forgotten (never a scan of all of them).
// An unused nonce is forgotten when it expires; a used one is kept
// `keep_used_seconds` longer, so that its replay is told as a replay. When
// full, the nonce due to be forgotten first goes (an old challenge, the least
// likely to be answered still); its answer is then NONCE_UNKNOWN.
class MemoryNonceStore : public NonceStore
{
  public:
    static constexpr std::size_t kDefaultMaxNonces = 250'000;
    explicit MemoryNonceStore(int keep_used_seconds = 3600,
                              std::size_t max_nonces = kDefaultMaxNonces);
    void issue(const std::string &nonce, std::time_t expires) override;
    void consume(const std::string &nonce, std::time_t now) override;
    std::size_t size() const;
    // Nonces forgotten early because the store was full, since the start.
    std::size_t dropped() const;

  private:
    struct Entry {
        std::time_t expires;
        std::time_t forget_at;
        bool used;
    };
    void forget_old(std::time_t now);
    // Pops the earliest index entry; forgets its nonce if the entry is current.
    bool forget_first();

    int keep_used_;
    std::size_t max_nonces_;
    std::size_t dropped_ = 0;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> nonces_;
    // (forget_at, nonce), earliest first; a used nonce's entry moves later,
    // leaving the earlier one stale (skipped when popped).
    using Due = std::pair<std::time_t, std::string>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> index_;
};

} // namespace cardbound::server

// Single-use nonces with an expiry. The interface lets a deployment keep
// them in a shared store; the default keeps them in memory, thread-safe.
#pragma once

#include <ctime>
#include <map>
#include <mutex>
#include <string>

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

class MemoryNonceStore : public NonceStore
{
  public:
    // Used nonces are remembered this long after their expiry, so that a
    // replay is reported as a replay rather than as unknown.
    explicit MemoryNonceStore(int keep_used_seconds = 3600) : keep_used_(keep_used_seconds) {}
    void issue(const std::string &nonce, std::time_t expires) override;
    void consume(const std::string &nonce, std::time_t now) override;
    std::size_t size() const;

  private:
    struct Entry {
        std::time_t expires;
        bool used;
    };
    void forget_old(std::time_t now);
    int keep_used_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry> nonces_;
};

} // namespace cardbound::server

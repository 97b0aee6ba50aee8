// The transactions a server asked its sessions to confirm (docs/protocol.md
// sections 4.4 and 4.5) and not yet answered: by session and nonce, the text the
// server issued and when the question expires. The text is kept here, not
// trusted from the page: a confirmation must name it byte for byte, and the
// card's signature is checked over this copy.
//
// Sessions are named by their key (session_key.h), never their id, so a
// shared store holds no cookie. Each pending transaction is taken once: of
// two confirmations with one nonce, on any number of threads or instances,
// exactly one finds it. A nonce is found only under the session it was
// issued for, so another session can neither use nor use up someone
// else's question.
//
// Bounded: at most max_per_session pending questions a session (a new one
// pushes out the one that expires first), and Redis's TTL or the memory
// store's own bound for the rest. A question pushed out is answered
// TRANSACTION_UNKNOWN, refused as it must be.
#pragma once

#include <cstddef>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

namespace cardbound::server
{

struct PendingTransaction {
    std::string text; // as issued, valid (is_valid_transaction_text)
    std::time_t expires = 0;
};

class TransactionStore
{
  public:
    static constexpr std::size_t kDefaultMaxPerSession = 16;

    virtual ~TransactionStore() = default;
    // Remembers a question until `t.expires`. `now` lets the store drop
    // what expired before it.
    virtual void issue(const std::string &session_key, const std::string &nonce,
                       const PendingTransaction &t, std::time_t now) = 0;
    // Takes the question out, in one atomic step: nothing when this session
    // has none by this nonce (never issued, taken already, pushed out,
    // forgotten after its expiry, or another session's). An expired one
    // still held is returned (and gone): the caller decides expiry by its
    // own clock, as for nonces.
    virtual std::optional<PendingTransaction> take(const std::string &session_key,
                                                   const std::string &nonce) = 0;
};

// In memory, thread-safe, O(log n) an operation, never a scan: at most
// max_per_session questions a session and max_total in all (when full, the
// question expiring first goes, and is counted in dropped()).
class MemoryTransactionStore : public TransactionStore
{
  public:
    static constexpr std::size_t kDefaultMaxTotal = 100'000;
    explicit MemoryTransactionStore(std::size_t max_per_session = kDefaultMaxPerSession,
                                    std::size_t max_total = kDefaultMaxTotal);

    void issue(const std::string &session_key, const std::string &nonce,
               const PendingTransaction &t, std::time_t now) override;
    std::optional<PendingTransaction> take(const std::string &session_key,
                                           const std::string &nonce) override;
    std::size_t size() const;
    std::size_t dropped() const;

  private:
    struct Entry {
        std::string session_key;
        PendingTransaction pending;
    };
    // Under the lock: removes the question by this nonce, if it is there.
    void remove(const std::string &nonce);

    std::size_t max_per_session_, max_total_;
    std::size_t dropped_ = 0;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> by_nonce_;
    // A session's nonces in the order issued (with one lifetime, the order
    // of their expiry too), at most max_per_session_.
    std::unordered_map<std::string, std::deque<std::string>> by_session_;
    // (expiry, nonce), earliest first; a taken question leaves its entry
    // behind, skipped when it comes up (and all are dropped when they
    // outnumber the questions twice over, so the index stays bounded too).
    using Due = std::pair<std::time_t, std::string>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> expiries_;
};

} // namespace cardbound::server

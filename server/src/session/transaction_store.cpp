#include "session/transaction_store.h"

#include <algorithm>
#include <stdexcept>

namespace cardbound::server
{

MemoryTransactionStore::MemoryTransactionStore(std::size_t max_per_session, std::size_t max_total)
    : max_per_session_(max_per_session), max_total_(max_total)
{
    if (max_per_session < 1 || max_total < 1)
        throw std::invalid_argument("a transaction store needs room for 1 question or more");
}

void MemoryTransactionStore::remove(const std::string &nonce)
{
    auto it = by_nonce_.find(nonce);
    if (it == by_nonce_.end())
        return;
    auto session = by_session_.find(it->second.session_key);
    if (session != by_session_.end()) {
        auto &nonces = session->second; // at most max_per_session_: a short walk
        nonces.erase(std::remove(nonces.begin(), nonces.end(), nonce), nonces.end());
        if (nonces.empty())
            by_session_.erase(session);
    }
    by_nonce_.erase(it);
}

void MemoryTransactionStore::issue(const std::string &session_key, const std::string &nonce,
                                   const PendingTransaction &t, std::time_t now)
{
    std::lock_guard lock(mutex_);
    // What expired goes first: it is no loss to anyone.
    while (!expiries_.empty() && expiries_.top().first < now) {
        auto it = by_nonce_.find(expiries_.top().second);
        if (it != by_nonce_.end() && it->second.pending.expires == expiries_.top().first)
            remove(expiries_.top().second);
        expiries_.pop();
    }
    remove(nonce); // a nonce is random; were it ever issued twice, the newer counts
    if (auto session = by_session_.find(session_key);
        session != by_session_.end() && session->second.size() >= max_per_session_) {
        remove(session->second.front()); // this session's oldest
        dropped_++;
    }
    while (by_nonce_.size() >= max_total_ && !expiries_.empty()) {
        auto it = by_nonce_.find(expiries_.top().second);
        if (it != by_nonce_.end() && it->second.pending.expires == expiries_.top().first) {
            remove(expiries_.top().second); // the one expiring first, of any session
            dropped_++;
        }
        expiries_.pop();
    }
    by_nonce_.emplace(nonce, Entry{session_key, t});
    by_session_[session_key].push_back(nonce);
    expiries_.emplace(t.expires, nonce);
    if (expiries_.size() > 2 * by_nonce_.size() + 16) {
        // Mostly taken questions' leftovers: index what is held, afresh.
        decltype(expiries_) fresh;
        for (const auto &[n, e] : by_nonce_)
            fresh.emplace(e.pending.expires, n);
        expiries_ = std::move(fresh);
    }
}

std::optional<PendingTransaction> MemoryTransactionStore::take(const std::string &session_key,
                                                               const std::string &nonce)
{
    std::lock_guard lock(mutex_);
    auto it = by_nonce_.find(nonce);
    // Another session's question stays where it is: it is not this one's to use up.
    if (it == by_nonce_.end() || it->second.session_key != session_key)
        return std::nullopt;
    PendingTransaction t = std::move(it->second.pending);
    remove(nonce);
    return t;
}

std::size_t MemoryTransactionStore::size() const
{
    std::lock_guard lock(mutex_);
    return by_nonce_.size();
}

std::size_t MemoryTransactionStore::dropped() const
{
    std::lock_guard lock(mutex_);
    return dropped_;
}

} // namespace cardbound::server

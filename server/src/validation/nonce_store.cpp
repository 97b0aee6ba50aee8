#include "validation/nonce_store.h"

#include "validation/validation_error.h"

#include <stdexcept>

namespace cardbound::server
{

MemoryNonceStore::MemoryNonceStore(int keep_used_seconds, std::size_t max_nonces)
    : keep_used_(keep_used_seconds), max_nonces_(max_nonces)
{
    if (keep_used_seconds < 0 || max_nonces < 1)
        throw std::invalid_argument(
            "a nonce store keeps used nonces 0 s or more, and 1 nonce or more");
}

// Whatever is due by `now`, from both parts; O(log n) a nonce forgotten.
void MemoryNonceStore::forget_old(std::time_t now)
{
    while (!expiries_.empty() && expiries_.top().first < now) {
        auto it = unused_.find(expiries_.top().second);
        if (it != unused_.end() && it->second == expiries_.top().first)
            unused_.erase(it);
        expiries_.pop();
    }
    while (!used_order_.empty() && used_order_.front().first < now) {
        used_.erase(used_order_.front().second);
        used_order_.pop_front();
    }
}

void MemoryNonceStore::issue(const std::string &nonce, std::time_t expires)
{
    std::lock_guard lock(mutex_);
    forget_old(std::time(nullptr));
    while (unused_.size() >= max_nonces_ && !expiries_.empty()) {
        auto it = unused_.find(expiries_.top().second);
        if (it != unused_.end() && it->second == expiries_.top().first) {
            unused_.erase(it);
            dropped_++;
        }
        expiries_.pop();
    }
    unused_[nonce] = expires;
    expiries_.emplace(expires, nonce);
}

void MemoryNonceStore::consume(const std::string &nonce, std::time_t now)
{
    std::lock_guard lock(mutex_);
    if (used_.contains(nonce))
        throw ValidationError(ValidationCode::NonceReused, "the nonce was used already");
    auto it = unused_.find(nonce);
    if (it == unused_.end())
        throw ValidationError(ValidationCode::NonceUnknown, "the nonce was not issued here");
    if (now >= it->second)
        throw ValidationError(ValidationCode::NonceExpired, "the nonce has expired");
    unused_.erase(it); // its expiry entry is skipped when it comes up
    if (used_order_.size() >= max_nonces_) {
        used_.erase(used_order_.front().second);
        used_order_.pop_front();
    }
    used_.insert(nonce);
    used_order_.emplace_back(now + keep_used_, nonce);
}

std::size_t MemoryNonceStore::size() const
{
    std::lock_guard lock(mutex_);
    return unused_.size() + used_.size();
}

std::size_t MemoryNonceStore::dropped() const
{
    std::lock_guard lock(mutex_);
    return dropped_;
}

} // namespace cardbound::server

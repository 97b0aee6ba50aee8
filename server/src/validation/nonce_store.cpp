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

bool MemoryNonceStore::forget_first()
{
    auto [forget_at, nonce] = index_.top();
    index_.pop();
    auto it = nonces_.find(nonce);
    if (it == nonces_.end() || it->second.forget_at != forget_at)
        return false; // stale: forgotten already, or kept longer since
    nonces_.erase(it);
    return true;
}

void MemoryNonceStore::forget_old(std::time_t now)
{
    while (!index_.empty() && index_.top().first < now)
        forget_first();
}

void MemoryNonceStore::issue(const std::string &nonce, std::time_t expires)
{
    std::lock_guard lock(mutex_);
    forget_old(std::time(nullptr));
    while (nonces_.size() >= max_nonces_ && !index_.empty())
        if (forget_first())
            dropped_++;
    nonces_[nonce] = Entry{expires, expires, false};
    index_.emplace(expires, nonce);
}

void MemoryNonceStore::consume(const std::string &nonce, std::time_t now)
{
    std::lock_guard lock(mutex_);
    auto it = nonces_.find(nonce);
    if (it == nonces_.end())
        throw ValidationError(ValidationCode::NonceUnknown, "the nonce was not issued here");
    if (it->second.used)
        throw ValidationError(ValidationCode::NonceReused, "the nonce was used already");
    if (now >= it->second.expires)
        throw ValidationError(ValidationCode::NonceExpired, "the nonce has expired");
    it->second.used = true;
    it->second.forget_at = it->second.expires + keep_used_;
    index_.emplace(it->second.forget_at, nonce);
}

std::size_t MemoryNonceStore::size() const
{
    std::lock_guard lock(mutex_);
    return nonces_.size();
}

std::size_t MemoryNonceStore::dropped() const
{
    std::lock_guard lock(mutex_);
    return dropped_;
}

} // namespace cardbound::server

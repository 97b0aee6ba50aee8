#include "validation/nonce_store.h"

#include "validation/validation_error.h"

namespace cardbound::server
{

void MemoryNonceStore::forget_old(std::time_t now)
{
    std::erase_if(nonces_, [&](const auto &kv) { return kv.second.expires + keep_used_ < now; });
}

void MemoryNonceStore::issue(const std::string &nonce, std::time_t expires)
{
    std::lock_guard lock(mutex_);
    forget_old(std::time(nullptr));
    nonces_[nonce] = Entry{expires, false};
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
}

std::size_t MemoryNonceStore::size() const
{
    std::lock_guard lock(mutex_);
    return nonces_.size();
}

} // namespace cardbound::server

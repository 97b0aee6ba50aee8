#include "session/proof_keys.h"

#include <stdexcept>
#include <utility>

namespace cardbound::server
{

ProofKeys::ProofKeys(std::size_t capacity) : half_(capacity / 2)
{
    if (half_ == 0)
        throw std::invalid_argument("the proof key cache needs room for 2 sessions or more");
}

void ProofKeys::make_room(Generation &dropped)
{
    if (newer_.size() < half_)
        return;
    dropped = std::exchange(older_, std::move(newer_));
    newer_ = Generation();
}

std::shared_ptr<const ProofKey> ProofKeys::find(const std::string &session_id)
{
    Generation dropped; // freed after the lock is released
    std::lock_guard lock(mutex_);
    if (auto it = newer_.find(session_id); it != newer_.end())
        return it->second;
    auto it = older_.find(session_id);
    if (it == older_.end())
        return nullptr;
    // Used again: it moves to the newer generation, to outlive the older one.
    std::shared_ptr<const ProofKey> key = std::move(it->second);
    older_.erase(it);
    make_room(dropped);
    newer_.emplace(session_id, key);
    return key;
}

std::shared_ptr<const ProofKey> ProofKeys::remember(const Session &s)
{
    auto key =
        std::make_shared<const ProofKey>(ProofKey{s.tag, s.origin, s.public_key, s.algorithm});
    Generation dropped; // freed after the lock is released
    std::lock_guard lock(mutex_);
    older_.erase(s.id);
    if (auto it = newer_.find(s.id); it != newer_.end()) {
        it->second = key;
        return key;
    }
    make_room(dropped);
    newer_.emplace(s.id, key);
    return key;
}

void ProofKeys::forget(const std::string &session_id)
{
    std::lock_guard lock(mutex_);
    newer_.erase(session_id);
    older_.erase(session_id);
}

std::size_t ProofKeys::size() const
{
    std::lock_guard lock(mutex_);
    return newer_.size() + older_.size();
}

} // namespace cardbound::server

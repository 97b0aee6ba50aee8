#include "session/session_store.h"

namespace cardbound::server
{

void MemorySessionStore::put(const Session &s)
{
    std::lock_guard lock(mutex_);
    sessions_[s.id] = s;
}

bool MemorySessionStore::replace(const Session &s)
{
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(s.id);
    if (it == sessions_.end())
        return false;
    it->second = s;
    return true;
}

std::optional<Session> MemorySessionStore::get(const std::string &id) const
{
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end())
        return std::nullopt;
    return it->second;
}

bool MemorySessionStore::erase(const std::string &id)
{
    std::lock_guard lock(mutex_);
    return sessions_.erase(id) > 0;
}

std::vector<Session> MemorySessionStore::expire(std::time_t now)
{
    std::lock_guard lock(mutex_);
    std::vector<Session> ended;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        if (it->second.deadline < now) {
            ended.push_back(std::move(it->second));
            it = sessions_.erase(it);
        } else {
            ++it;
        }
    }
    return ended;
}

std::size_t MemorySessionStore::size() const
{
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

} // namespace cardbound::server

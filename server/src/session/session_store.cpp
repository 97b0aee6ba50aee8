#include "session/session_store.h"

namespace cardbound::server
{

void MemorySessionStore::index(const Session &s)
{
    deadlines_.emplace(s.deadline, s.id);
}

void MemorySessionStore::put(const Session &s)
{
    std::lock_guard lock(mutex_);
    sessions_[s.id] = s;
    index(s);
}

std::optional<Session> MemorySessionStore::update(const std::string &id, const Change &change)
{
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end())
        return std::nullopt;
    Session changed = it->second; // a refusal leaves the stored one untouched
    change(changed);
    if (changed.deadline != it->second.deadline)
        index(changed);
    it->second = std::move(changed);
    return it->second;
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
    while (!deadlines_.empty() && deadlines_.top().first < now) {
        auto [deadline, id] = deadlines_.top();
        deadlines_.pop();
        auto it = sessions_.find(id);
        // Gone already, or its deadline moved on (a newer entry stands for it).
        if (it == sessions_.end() || it->second.deadline != deadline)
            continue;
        ended.push_back(std::move(it->second));
        sessions_.erase(it);
    }
    return ended;
}

std::size_t MemorySessionStore::size() const
{
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

} // namespace cardbound::server

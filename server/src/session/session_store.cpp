#include "session/session_store.h"

#include "session/session_key.h"

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

PresenceCheck MemorySessionStore::prove_presence(const std::string &id,
                                                 const PresenceAnswer &answer)
{
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end())
        return PresenceCheck::Gone;
    Session &s = it->second;
    if (answer.now > s.deadline)
        return PresenceCheck::Late;
    if (answer.must_be_confirmed && !s.confirmed)
        return PresenceCheck::NotConfirmed;
    if (answer.tag != s.tag)
        return PresenceCheck::OtherSession;
    if (answer.nonce == s.answered_nonce)
        return PresenceCheck::Replayed;
    if (answer.nonce != s.pending_nonce)
        return PresenceCheck::UnknownNonce;
    s.answered_nonce = s.pending_nonce;
    s.confirmed = true;
    if (answer.deadline != s.deadline) {
        s.deadline = answer.deadline;
        index(s);
    }
    return PresenceCheck::Done;
}

PresenceRotation MemorySessionStore::rotate_presence(const std::string &id,
                                                     const std::string &nonce, std::time_t now)
{
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end())
        return {PresenceCheck::Gone, {}, {}, 0};
    Session &s = it->second;
    if (now > s.deadline)
        return {PresenceCheck::Late, {}, {}, 0};
    if (!s.confirmed)
        return {PresenceCheck::NotConfirmed, {}, {}, 0};
    s.pending_nonce = nonce;
    return {PresenceCheck::Done, s.tag, s.origin, s.deadline};
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

std::vector<std::string> MemorySessionStore::expire(std::time_t now)
{
    std::vector<std::string> ended;
    {
        std::lock_guard lock(mutex_);
        while (!deadlines_.empty() && deadlines_.top().first < now) {
            auto [deadline, id] = deadlines_.top();
            deadlines_.pop();
            auto it = sessions_.find(id);
            // Gone already, or its deadline moved on (a newer entry stands for it).
            if (it == sessions_.end() || it->second.deadline != deadline)
                continue;
            sessions_.erase(it);
            ended.push_back(std::move(id));
        }
    }
    // Hashed outside the lock: the proofs of the other sessions need not wait.
    for (std::string &id : ended)
        id = session_key(id);
    return ended;
}

std::size_t MemorySessionStore::size() const
{
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

} // namespace cardbound::server

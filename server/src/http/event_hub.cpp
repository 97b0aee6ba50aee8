#include "http/event_hub.h"

#include "session/session_key.h"

#include <vector>

namespace cardbound::server
{

std::string EventHub::key_of(const std::string &session_id)
{
    return session_key(session_id);
}

void EventHub::session_ended(const std::string &session_id, const std::string &reason)
{
    key_ended(key_of(session_id), reason);
}

void EventHub::key_ended(const std::string &key, const std::string &reason)
{
    std::map<Ticket, Wake> woken;
    {
        std::lock_guard lock(mutex_);
        // Ended sessions are remembered a while so that streams opened late
        // learn it too; the map is trimmed to keep it bounded.
        if (ended_.size() > kRememberedEnds)
            ended_.clear();
        ended_[key] = reason;
        if (auto it = waiting_.find(key); it != waiting_.end()) {
            woken = std::move(it->second);
            waiting_.erase(it);
            waiter_count_ -= woken.size();
        }
    }
    // Outside the lock: a waiter may take its own locks.
    for (auto &[ticket, wake] : woken)
        wake(reason);
}

std::variant<EventHub::Ticket, std::string> EventHub::wait_for_end(const std::string &session_id,
                                                                   Wake wake)
{
    std::string key = key_of(session_id);
    std::lock_guard lock(mutex_);
    if (!on_track_)
        return std::string(kLostTrack);
    if (auto it = ended_.find(key); it != ended_.end())
        return it->second;
    Ticket ticket = next_ticket_++;
    waiting_[key].emplace(ticket, std::move(wake));
    waiter_count_++;
    return ticket;
}

bool EventHub::cancel(const std::string &session_id, Ticket ticket)
{
    std::string key = key_of(session_id);
    std::lock_guard lock(mutex_);
    auto it = waiting_.find(key);
    if (it == waiting_.end())
        return false;
    bool found = it->second.erase(ticket) > 0;
    waiter_count_ -= found;
    if (it->second.empty())
        waiting_.erase(it);
    return found;
}

std::size_t EventHub::waiters() const
{
    std::lock_guard lock(mutex_);
    return waiter_count_;
}

void EventHub::lose_track()
{
    std::map<std::string, std::map<Ticket, Wake>, std::less<>> woken;
    {
        std::lock_guard lock(mutex_);
        on_track_ = false;
        woken.swap(waiting_);
        waiter_count_ = 0;
    }
    const std::string reason(kLostTrack);
    for (auto &[key, wakes] : woken)
        for (auto &[ticket, wake] : wakes)
            wake(reason);
}

void EventHub::regain_track()
{
    std::lock_guard lock(mutex_);
    on_track_ = true;
}

bool EventHub::on_track() const
{
    std::lock_guard lock(mutex_);
    return on_track_;
}

} // namespace cardbound::server

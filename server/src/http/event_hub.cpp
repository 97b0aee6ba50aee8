#include "http/event_hub.h"

namespace cardbound::server
{

void EventHub::session_ended(const std::string &session_id, const std::string &reason)
{
    std::map<Ticket, Wake> woken;
    {
        std::lock_guard lock(mutex_);
        // Ended sessions are remembered a while so that streams opened late
        // learn it too; the map is trimmed to keep it bounded.
        if (ended_.size() > kRememberedEnds)
            ended_.clear();
        ended_[session_id] = reason;
        if (auto it = waiting_.find(session_id); it != waiting_.end()) {
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
    std::lock_guard lock(mutex_);
    if (auto it = ended_.find(session_id); it != ended_.end())
        return it->second;
    Ticket ticket = next_ticket_++;
    waiting_[session_id].emplace(ticket, std::move(wake));
    waiter_count_++;
    return ticket;
}

bool EventHub::cancel(const std::string &session_id, Ticket ticket)
{
    std::lock_guard lock(mutex_);
    auto it = waiting_.find(session_id);
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

} // namespace cardbound::server

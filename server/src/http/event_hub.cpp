#include "http/event_hub.h"

namespace cardbound::server
{

void EventHub::session_ended(const std::string &session_id, const std::string &reason)
{
    {
        std::lock_guard lock(mutex_);
        // Ended sessions are remembered a while so that late streams learn it
        // too; the map is trimmed to keep it bounded.
        if (ended_.size() > 100000)
            ended_.clear();
        ended_[session_id] = reason;
    }
    changed_.notify_all();
}

std::optional<std::string> EventHub::wait_for_end(const std::string &session_id,
                                                  std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return ended_.contains(session_id); });
    auto it = ended_.find(session_id);
    if (it == ended_.end())
        return std::nullopt;
    return it->second;
}

} // namespace cardbound::server

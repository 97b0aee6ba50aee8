// Tells every open event stream (every tab) of a session that it ended.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace cardbound::server
{

class EventHub
{
  public:
    // Records that the session ended and wakes its streams.
    void session_ended(const std::string &session_id, const std::string &reason);
    // Waits up to `timeout` for the session's end; the reason, or nothing.
    std::optional<std::string> wait_for_end(const std::string &session_id,
                                            std::chrono::milliseconds timeout);

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, std::string> ended_; // session id -> reason
};

} // namespace cardbound::server

// Tells every open event stream (every tab) of a session that it ended.
// Streams wait without a thread: each registers a callback under its
// session's id, and a session's end calls only the callbacks of that
// session, so one logout costs the same however many other tabs are open.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <variant>

namespace cardbound::server
{

class EventHub
{
  public:
    // Called once, with the end's reason, on the thread that ended the
    // session: it must only hand the news on (e.g. post to its stream's
    // executor), never block or call back into the hub.
    using Wake = std::function<void(const std::string &reason)>;
    using Ticket = std::uint64_t;

    // Records that the session ended and wakes its waiters.
    void session_ended(const std::string &session_id, const std::string &reason);
    // Registers `wake` for the session's end: a ticket to cancel it with, or
    // the reason when the session ended already (then `wake` is not kept).
    std::variant<Ticket, std::string> wait_for_end(const std::string &session_id, Wake wake);
    // Forgets a waiter that no longer listens (its stream closed first).
    // False if it was woken already (or never registered).
    bool cancel(const std::string &session_id, Ticket ticket);
    // Waiters registered and not yet woken or cancelled.
    std::size_t waiters() const;

  private:
    static constexpr std::size_t kRememberedEnds = 100000;

    mutable std::mutex mutex_;
    Ticket next_ticket_ = 1;
    std::size_t waiter_count_ = 0;
    std::map<std::string, std::map<Ticket, Wake>, std::less<>> waiting_; // by session id
    std::map<std::string, std::string> ended_;                           // session id -> reason
};

} // namespace cardbound::server

// Tells every open event stream (every tab) of a session that it ended.
// Streams wait without a thread: each registers a callback under its
// session's key, and a session's end calls only the callbacks of that
// session, so one logout costs the same however many other tabs are open.
//
// Keys, not ids: a stream is filed under key_of(session id), the SHA-256 of
// the id, because with several instances the end of a session travels
// between them (store/redis_session_events.h) and the id is the session's
// cookie, a bearer secret that must not be published to whoever can read the
// shared store's channel. The key names the session and grants nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
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

    // The reason given to streams when the hub cannot tell them about ends
    // any more (lose_track): not a session end. The stream closes without an
    // event, so the tab reconnects and asks the server again.
    static constexpr std::string_view kLostTrack = "";

    // session_key(session_id) (session/session_key.h): lowercase hex
    // SHA-256 of the session id.
    static std::string key_of(const std::string &session_id);

    // Records that the session ended and wakes its waiters.
    void session_ended(const std::string &session_id, const std::string &reason);
    // The same by key: an end another instance published. Ends may be told
    // twice (an instance hears its own publications): the second is a no-op.
    void key_ended(const std::string &key, const std::string &reason);
    // Registers `wake` for the session's end: a ticket to cancel it with, or
    // the reason when the session ended already (then `wake` is not kept),
    // or kLostTrack while the hub has lost track.
    std::variant<Ticket, std::string> wait_for_end(const std::string &session_id, Wake wake);
    // Forgets a waiter that no longer listens (its stream closed first).
    // False if it was woken already (or never registered).
    bool cancel(const std::string &session_id, Ticket ticket);
    // Waiters registered and not yet woken or cancelled.
    std::size_t waiters() const;

    // Ends may have been missed (the instance lost its subscription to the
    // other instances' ends): wakes every waiter with kLostTrack rather than
    // leave it open on stale state, and answers kLostTrack to new waiters
    // until regain_track(). A hub starts on track (one instance: nothing is
    // ever missed).
    void lose_track();
    // Every end is heard again (the subscription is back).
    void regain_track();
    bool on_track() const;

  private:
    static constexpr std::size_t kRememberedEnds = 100000;

    mutable std::mutex mutex_;
    bool on_track_ = true;
    Ticket next_ticket_ = 1;
    std::size_t waiter_count_ = 0;
    std::map<std::string, std::map<Ticket, Wake>, std::less<>> waiting_; // by key
    std::map<std::string, std::string> ended_;                           // key -> reason
};

} // namespace cardbound::server

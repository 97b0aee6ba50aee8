// Watches PC/SC readers on its own thread (SCardGetStatusChange, with the
// "\\?PnP?\Notification" pseudo-reader for hot-plug) and reports card and
// reader changes to CardEvents at once. It outlives pcscd restarts: when the
// service goes away every card counts as removed, and the monitor connects
// again when pcscd is back.
#pragma once

#include "card/card_events.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <winscard.h>

namespace cardbound::host
{

class PcscMonitor
{
  public:
    explicit PcscMonitor(CardEvents &events) : events_(events) {}
    ~PcscMonitor() { stop(); }
    PcscMonitor(const PcscMonitor &) = delete;
    PcscMonitor &operator=(const PcscMonitor &) = delete;

    // Starts the thread and waits (at most a second) until it has read the
    // readers' initial state, so that the first answers see the readers.
    void start();
    void stop();

  private:
    void run();
    void run_loop();
    // Follows the readers until the service goes away (false) or stop().
    // `initial`: the first state read is the starting point, not an event.
    bool watch(SCARDCONTEXT ctx, bool initial);
    void mark_ready();

    CardEvents &events_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> finished_{false};
    std::mutex ctx_mutex_;
    SCARDCONTEXT ctx_ = 0;
    bool have_ctx_ = false;
    std::condition_variable ready_cv_;
    bool ready_ = false;
};

} // namespace cardbound::host

#include "card/pcsc_monitor.h"

#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <spdlog/spdlog.h>
#include <string>
#include <vector>

namespace cardbound::host
{

namespace
{

constexpr const char *kPnpReader = "\\\\?PnP?\\Notification";

std::vector<std::string> list_readers(SCARDCONTEXT ctx, LONG &rc)
{
    DWORD len = 0;
    rc = SCardListReaders(ctx, nullptr, nullptr, &len);
    if (rc != SCARD_S_SUCCESS)
        return {};
    std::string buf(len, '\0');
    rc = SCardListReaders(ctx, nullptr, buf.data(), &len);
    if (rc != SCARD_S_SUCCESS)
        return {};
    std::vector<std::string> out;
    for (const char *p = buf.c_str(); *p; p += std::strlen(p) + 1)
        out.emplace_back(p);
    return out;
}

bool service_gone(LONG rc)
{
    return rc == SCARD_E_NO_SERVICE || rc == SCARD_E_SERVICE_STOPPED ||
           rc == SCARD_E_INVALID_HANDLE || rc == SCARD_F_COMM_ERROR;
}

} // namespace

void PcscMonitor::start()
{
    stopping_ = false;
    finished_ = false;
    thread_ = std::thread([this] { run(); });
    std::unique_lock lock(ctx_mutex_);
    ready_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return ready_; });
}

void PcscMonitor::mark_ready()
{
    {
        std::lock_guard lock(ctx_mutex_);
        ready_ = true;
    }
    ready_cv_.notify_all();
}

void PcscMonitor::stop()
{
    if (!thread_.joinable())
        return;
    stopping_ = true;
    // The thread may be between two SCardGetStatusChange calls when a cancel
    // arrives, so cancel until it has finished.
    while (!finished_) {
        {
            std::lock_guard lock(ctx_mutex_);
            if (have_ctx_)
                SCardCancel(ctx_);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    thread_.join();
}

void PcscMonitor::run()
{
    try {
        run_loop();
    } catch (const std::exception &e) {
        // Never take the host down from this thread; card events stop.
        spdlog::error("the reader monitor stopped: {}", e.what());
        events_.set_monitoring(false);
        mark_ready();
    }
    finished_ = true;
}

void PcscMonitor::run_loop()
{
    bool first = true;
    bool connected_before = false;
    while (!stopping_) {
        SCARDCONTEXT ctx = 0;
        LONG rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
        if (rc != SCARD_S_SUCCESS) {
            if (first)
                spdlog::warn("PC/SC is not available ({:#x}); retrying every second",
                             static_cast<unsigned long>(rc));
            mark_ready();
            first = false;
            for (int i = 0; i < 10 && !stopping_; i++)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        {
            std::lock_guard lock(ctx_mutex_);
            ctx_ = ctx;
            have_ctx_ = true;
        }
        events_.set_monitoring(true);
        // Only the state found at start is not news; after a pcscd restart
        // every reader and card that comes back is reported.
        bool gone = !watch(ctx, !connected_before);
        connected_before = true;
        events_.set_monitoring(false);
        {
            std::lock_guard lock(ctx_mutex_);
            have_ctx_ = false;
        }
        SCardReleaseContext(ctx);
        if (gone && !stopping_) {
            spdlog::warn("pcscd went away; every card counts as removed until it is back");
            for (const auto &r : events_.readers())
                events_.reader_removed(r.name);
            first = true;
        }
    }
}

bool PcscMonitor::watch(SCARDCONTEXT ctx, bool initial)
{
    std::map<std::string, DWORD> known; // reader -> last event state
    while (!stopping_) {
        LONG rc = 0;
        std::vector<std::string> names = list_readers(ctx, rc);
        if (rc != SCARD_S_SUCCESS && rc != SCARD_E_NO_READERS_AVAILABLE)
            return !service_gone(rc);

        // Readers that went away since the last round.
        std::set<std::string> now(names.begin(), names.end());
        for (auto it = known.begin(); it != known.end();) {
            if (!now.contains(it->first)) {
                events_.reader_removed(it->first);
                it = known.erase(it);
            } else {
                ++it;
            }
        }

        std::vector<SCARD_READERSTATE> states(names.size() + 1);
        for (std::size_t i = 0; i < names.size(); i++) {
            states[i].szReader = names[i].c_str();
            auto k = known.find(names[i]);
            states[i].dwCurrentState = k == known.end() ? SCARD_STATE_UNAWARE : k->second;
        }
        states.back().szReader = kPnpReader;
        states.back().dwCurrentState = static_cast<DWORD>(names.size()) << 16;

        // Learn the current state of new readers first (returns at once).
        bool any_new = false;
        for (const auto &n : names)
            any_new = any_new || !known.contains(n);
        DWORD timeout = any_new || initial ? 0 : INFINITE;
        rc = SCardGetStatusChange(ctx, timeout, states.data(), static_cast<DWORD>(states.size()));
        if (stopping_ || rc == SCARD_E_CANCELLED)
            return true;
        if (rc == SCARD_E_TIMEOUT && !any_new && !initial)
            continue;
        if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT) {
            if (service_gone(rc))
                return false;
            spdlog::warn("SCardGetStatusChange failed: {:#x}", static_cast<unsigned long>(rc));
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
        }

        for (std::size_t i = 0; i < names.size(); i++) {
            DWORD state = states[i].dwEventState;
            bool is_new = !known.contains(names[i]);
            bool was_present = !is_new && (known[names[i]] & SCARD_STATE_PRESENT);
            bool present = state & SCARD_STATE_PRESENT;
            if (is_new)
                events_.reader_added(names[i], initial);
            // pcsc-lite counts card events in the high word: a card pulled and
            // put back (or swapped) between two looks is still two events.
            bool swapped =
                !is_new && was_present && present && ((state >> 16) != (known[names[i]] >> 16));
            if (swapped)
                events_.card_removed(names[i], "pcsc");
            if (present && (is_new || !was_present || swapped))
                events_.card_inserted(names[i], initial);
            if (!present && was_present)
                events_.card_removed(names[i], "pcsc");
            known[names[i]] = state & ~SCARD_STATE_CHANGED;
        }
        if (initial)
            mark_ready();
        initial = false;
    }
    return true;
}

} // namespace cardbound::host

// What the host knows about readers and cards, shared by the PC/SC monitor
// thread and the request loop, and the single place card events are sent
// from. A removal is reported once, whether pcscd or a PKCS#11 error ("the
// token is gone") noticed it first.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cardbound::host
{

class CardEvents
{
  public:
    using Emit = std::function<void(const std::string &event, nlohmann::json data)>;
    explicit CardEvents(Emit emit) : emit_(std::move(emit)) {}

    // The certificates last seen on the card in `reader` (from PKCS#11), read
    // when the reader's removal count was `removals_before`.
    void remember_certificates(const std::string &reader, std::vector<std::string> fingerprints,
                               std::uint64_t removals_before);
    // The PC/SC reader name a PKCS#11 slot description stands for.
    std::string reader_for_slot(const std::string &slot_description) const;

    // State changes. `initial` records the state at start without an event.
    void reader_added(const std::string &reader, bool initial = false);
    void reader_removed(const std::string &reader);
    void card_inserted(const std::string &reader, bool initial = false);
    void card_removed(const std::string &reader, const std::string &cause);

    // How many times a card has left this reader (never reset); a presence
    // session started at one count is dead at any other.
    std::uint64_t removal_count(const std::string &reader) const;

    struct ReaderState {
        std::string name;
        bool card_present = false;
    };
    std::vector<ReaderState> readers() const;
    bool monitoring() const;
    void set_monitoring(bool on);

  private:
    struct Reader {
        // A reader that went away keeps its entry (and its removal count), so
        // that it coming back cannot revive a presence session.
        bool connected = true;
        bool card_present = false;
        std::uint64_t removals = 0;
        std::vector<std::string> fingerprints;
    };
    void send(const std::string &event, nlohmann::json data);

    Emit emit_;
    mutable std::mutex mutex_;
    std::map<std::string, Reader> readers_;
    bool monitoring_ = false;
};

} // namespace cardbound::host

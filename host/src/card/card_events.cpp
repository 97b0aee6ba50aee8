#include "card/card_events.h"

#include <spdlog/spdlog.h>

namespace cardbound::host
{

using nlohmann::json;

void CardEvents::send(const std::string &event, json data)
{
    // Reader names come from devices and may hold invalid UTF-8.
    spdlog::info("event {} {}", event,
                 data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    emit_(event, std::move(data));
}

void CardEvents::remember_certificates(const std::string &reader,
                                       std::vector<std::string> fingerprints,
                                       std::uint64_t removals_before)
{
    std::lock_guard lock(mutex_);
    Reader &r = readers_[reader];
    // A removal reported while PKCS#11 was reading the card wins: the card
    // is gone, and the next insertion must still be reported.
    if (r.removals != removals_before)
        return;
    r.fingerprints = std::move(fingerprints);
    r.card_present = true;
}

std::string CardEvents::reader_for_slot(const std::string &slot_description) const
{
    // PKCS#11 slot descriptions are PC/SC reader names cut to 64 bytes with
    // trailing blanks trimmed: map one back to the reader it names.
    std::lock_guard lock(mutex_);
    if (readers_.contains(slot_description))
        return slot_description;
    for (const auto &[name, r] : readers_)
        if (slot_description.size() >= 32 && name.starts_with(slot_description))
            return name;
    return slot_description;
}

void CardEvents::reader_added(const std::string &reader, bool initial)
{
    {
        std::lock_guard lock(mutex_);
        auto [it, added] = readers_.try_emplace(reader);
        if (!added && it->second.connected && !initial)
            return;
        it->second.connected = true;
    }
    if (!initial)
        send("reader-added", {{"reader", reader}});
}

void CardEvents::reader_removed(const std::string &reader)
{
    card_removed(reader, "reader-removed");
    {
        std::lock_guard lock(mutex_);
        auto it = readers_.find(reader);
        if (it == readers_.end() || !it->second.connected)
            return;
        it->second.connected = false;
    }
    send("reader-removed", {{"reader", reader}});
}

void CardEvents::card_inserted(const std::string &reader, bool initial)
{
    {
        std::lock_guard lock(mutex_);
        Reader &r = readers_[reader];
        if (r.card_present)
            return;
        r.card_present = true;
        r.fingerprints.clear();
    }
    if (!initial)
        send("card-inserted", {{"reader", reader}});
}

void CardEvents::card_removed(const std::string &reader, const std::string &cause)
{
    json data;
    {
        std::lock_guard lock(mutex_);
        auto it = readers_.find(reader);
        if (it == readers_.end() || !it->second.card_present)
            return;
        it->second.card_present = false;
        it->second.removals++;
        data = {{"reader", reader}, {"certificates", it->second.fingerprints}, {"cause", cause}};
        it->second.fingerprints.clear();
    }
    send("card-removed", std::move(data));
}

std::uint64_t CardEvents::removal_count(const std::string &reader) const
{
    std::lock_guard lock(mutex_);
    auto it = readers_.find(reader);
    return it == readers_.end() ? 0 : it->second.removals;
}

std::vector<CardEvents::ReaderState> CardEvents::readers() const
{
    std::lock_guard lock(mutex_);
    std::vector<ReaderState> out;
    for (const auto &[name, r] : readers_)
        if (r.connected)
            out.push_back({name, r.card_present});
    return out;
}

bool CardEvents::monitoring() const
{
    std::lock_guard lock(mutex_);
    return monitoring_;
}

void CardEvents::set_monitoring(bool on)
{
    std::lock_guard lock(mutex_);
    monitoring_ = on;
}

} // namespace cardbound::host

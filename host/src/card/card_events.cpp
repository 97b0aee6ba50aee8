#include "card/card_events.h"

#include <spdlog/spdlog.h>

namespace cardbound::host
{

using nlohmann::json;

void CardEvents::send(const std::string &event, json data)
{
    spdlog::info("event {} {}", event, data.dump());
    emit_(event, std::move(data));
}

void CardEvents::remember_certificates(const std::string &reader,
                                       std::vector<std::string> fingerprints)
{
    std::lock_guard lock(mutex_);
    Reader &r = readers_[reader];
    r.fingerprints = std::move(fingerprints);
    // PKCS#11 found a token here, so a card is in, whatever PC/SC said last.
    r.card_present = true;
}

void CardEvents::reader_added(const std::string &reader, bool initial)
{
    {
        std::lock_guard lock(mutex_);
        if (readers_.contains(reader) && !initial)
            return;
        readers_.try_emplace(reader);
    }
    if (!initial)
        send("reader-added", {{"reader", reader}});
}

void CardEvents::reader_removed(const std::string &reader)
{
    card_removed(reader, "reader-removed");
    {
        std::lock_guard lock(mutex_);
        if (readers_.erase(reader) == 0)
            return;
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

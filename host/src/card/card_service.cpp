#include "card/card_service.h"

#include "card/token_certificates.h"
#include "core/error.h"

#include <spdlog/spdlog.h>

namespace cardbound::host
{

CardService::CardService(const std::vector<std::string> &module_paths, CardEvents &events)
    : events_(events)
{
    for (const auto &path : module_paths) {
        ModuleStatus s{path, false, {}};
        try {
            modules_.push_back(std::make_unique<Pkcs11Module>(path));
            s.loaded = true;
        } catch (const std::exception &e) {
            s.error = e.what();
            spdlog::error("{}", e.what());
        }
        status_.push_back(std::move(s));
    }
}

CardService::~CardService()
{
    // The card threads go before the modules they use.
    scanner_.stop(std::chrono::milliseconds(0));
    std::lock_guard lock(mutex_);
    tokens_.clear();
}

std::vector<CardCertificate> CardService::list_certificates()
{
    std::vector<CardCertificate> out;
    std::map<std::string, TokenKey> holders;
    for (std::size_t m = 0; m < modules_.size(); m++) {
        Pkcs11Module::SlotList list;
        try {
            list = modules_[m]->read_slots();
        } catch (const std::exception &e) {
            spdlog::warn("{}", e.what());
            continue;
        }
        for (PKCS11_SLOT &slot : list.slots()) {
            for (auto &c :
                 read_token_certificates(*modules_[m], slot, events_, /*remember=*/true)) {
                holders[c.info.fingerprint] = {m, PKCS11_get_slotid_from_slot(&slot)};
                out.push_back(std::move(c.info));
            }
        }
    }
    std::lock_guard lock(mutex_);
    holders_ = std::move(holders);
    return out;
}

CardToken &CardService::token(const TokenKey &key)
{
    std::lock_guard lock(mutex_);
    auto &t = tokens_[key];
    if (!t)
        t = std::make_unique<CardToken>(*modules_[key.module], key.slot_id, events_);
    return *t;
}

std::optional<CardService::TokenKey> CardService::holder_of(const std::string &fingerprint)
{
    std::lock_guard lock(mutex_);
    auto it = holders_.find(fingerprint);
    if (it == holders_.end())
        return std::nullopt;
    return it->second;
}

void CardService::on_token_of(const std::string &fingerprint, TokenJob job, bool rescan)
{
    if (auto key = rescan ? std::nullopt : holder_of(fingerprint)) {
        CardToken &t = token(*key);
        t.post([&t, job = std::move(job)] { job(&t); });
        return;
    }
    // Not seen yet (or no longer, or a login): read the cards first.
    scanner_.post([this, fingerprint, job = std::move(job)] {
        list_certificates();
        if (auto key = holder_of(fingerprint)) {
            CardToken &t = token(*key);
            t.post([&t, job] { job(&t); });
        } else {
            job(nullptr);
        }
    });
}

bool CardService::stop(std::chrono::milliseconds patience)
{
    auto deadline = std::chrono::steady_clock::now() + patience;
    auto left = [&] {
        return std::max(std::chrono::milliseconds(0),
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now()));
    };
    bool done = scanner_.stop(left());
    std::lock_guard lock(mutex_);
    for (auto &[key, t] : tokens_)
        done = t->thread().stop(left()) && done;
    return done;
}

} // namespace cardbound::host

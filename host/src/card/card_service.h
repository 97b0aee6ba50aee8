// The cards, as the commands see them: the configured PKCS#11 modules, one
// card thread per token (card/card_token.h), and one more, the scanner, that
// reads every token for the certificate list and learns which token holds
// which certificate. The request loop only queues jobs here; the jobs answer
// their requests themselves, so status, logout and presence proofs for one
// card are answered while another card waits on a PIN pad.
#pragma once

#include "card/card_certificate.h"
#include "card/card_events.h"
#include "card/card_token.h"
#include "card/pkcs11_module.h"
#include "card/worker_thread.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cardbound::host
{

struct ModuleStatus {
    std::string path;
    bool loaded = false;
    std::string error;
};

class CardService
{
  public:
    CardService(const std::vector<std::string> &module_paths, CardEvents &events);
    // Call stop() first: this joins the card threads.
    ~CardService();

    std::vector<ModuleStatus> modules() const { return status_; }

    // Runs a job on the scanner thread.
    void on_scanner(WorkerThread::Job job) { scanner_.post(std::move(job)); }
    // Every usable certificate on every card now (on the scanner thread only).
    std::vector<CardCertificate> list_certificates();

    // Runs job(token) on the card thread of the token that holds the
    // certificate; job(nullptr), on the scanner thread, when no card does.
    // Which token that is comes from the last scan, or from a new one when
    // the last did not see the certificate or `rescan` asks (a login: the
    // card may have moved to another reader since the list).
    using TokenJob = std::function<void(CardToken *)>;
    void on_token_of(const std::string &fingerprint, TokenJob job, bool rescan = false);

    // Asks every card thread to finish; false when one is still inside a job
    // after `patience` (then the process must exit without joining it).
    bool stop(std::chrono::milliseconds patience);

  private:
    struct TokenKey {
        std::size_t module;
        unsigned long slot_id;
        auto operator<=>(const TokenKey &) const = default;
    };
    CardToken &token(const TokenKey &key);
    std::optional<TokenKey> holder_of(const std::string &fingerprint);

    CardEvents &events_;
    std::vector<std::unique_ptr<Pkcs11Module>> modules_; // index: TokenKey::module
    std::vector<ModuleStatus> status_;
    std::mutex mutex_; // guards the two maps
    std::map<TokenKey, std::unique_ptr<CardToken>> tokens_;
    std::map<std::string, TokenKey> holders_; // fingerprint -> token, from the last scan
    WorkerThread scanner_{"card scanner"};    // after the maps: joined before they go
};

} // namespace cardbound::host

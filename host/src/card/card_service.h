// The cards, as the commands see them: certificates across every configured
// PKCS#11 module, login with a PIN (or on a PIN-pad reader), and signing a
// digest with the key that belongs to a certificate. Used from the request
// loop only (libp11 objects are not shared between threads).
#pragma once

#include "card/card_events.h"
#include "card/pkcs11_module.h"
#include "card/secure_pin.h"
#include "cardbound/crypto/signature.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cardbound::host
{

struct CardCertificate {
    std::string fingerprint;
    std::shared_ptr<X509> certificate;
    Algorithm algorithm = Algorithm::ES256; // how this key signs
    std::string module;
    std::string reader; // the slot description: the PC/SC reader name for OpenSC
    std::string token_label;
    bool pin_pad = false;
    std::string pin_state; // "ok", "count-low", "final-try", "locked"
};

struct ModuleStatus {
    std::string path;
    bool loaded = false;
    std::string error;
};

class CardService
{
  public:
    CardService(const std::vector<std::string> &module_paths, CardEvents &events);

    std::vector<ModuleStatus> modules() const { return status_; }
    std::vector<CardCertificate> list_certificates();

    // Logs in to the certificate's token with the PIN (nullptr: the reader's
    // PIN pad) and signs digest_for(algorithm). Throws HostError.
    struct Signature {
        CardCertificate certificate;
        Bytes value; // raw r||s for ECDSA
        std::uint64_t removal_count = 0;
    };
    using DigestFor = std::function<Bytes(Algorithm)>;
    Signature login_and_sign(const std::string &fingerprint, const SecurePin *pin,
                             const DigestFor &digest_for);
    // Signs on a token that is still logged in (no PIN). ERR_NO_CARD when the
    // card left or lost its login since.
    Signature sign_logged_in(const std::string &fingerprint, const DigestFor &digest_for);
    void logout(const std::string &fingerprint);

  private:
    struct Found {
        Pkcs11Module *module;
        PKCS11_SLOT *slot;
        PKCS11_CERT *cert;
        CardCertificate info;
    };
    // Every signing certificate on every initialised token (refresh: read the
    // slots again first, and remember which certificates each reader holds).
    // Without a refresh, `only` limits the work to one fingerprint.
    std::vector<Found> scan(bool refresh, const std::string *only = nullptr);
    Found find(const std::string &fingerprint, bool refresh);
    Signature sign_found(Found &f, const DigestFor &digest_for);
    [[noreturn]] void fail(const Found &f, unsigned long ckr, const std::string &what);

    std::vector<std::unique_ptr<Pkcs11Module>> modules_;
    std::vector<ModuleStatus> status_;
    CardEvents &events_;
};

} // namespace cardbound::host

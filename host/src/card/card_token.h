// One token (one card in one reader, or one SoftHSM2 token) and the card
// thread that does all its work. A card does one thing at a time, so its
// jobs run in order; another token's jobs run on that token's own thread,
// so a PIN pad that holds this token for minutes delays no one else.
//
// Every libp11 object this class uses (its slot list, the slot that logged
// in, certificates, keys) is read and used on its thread only.
#pragma once

#include "card/card_certificate.h"
#include "card/card_events.h"
#include "card/pkcs11_module.h"
#include "card/token_certificates.h"
#include "card/worker_thread.h"
#include "core/secure_pin.h"

#include <set>
#include <string>
#include <vector>

namespace cardbound::host
{

class CardToken
{
  public:
    CardToken(Pkcs11Module &module, unsigned long slot_id, CardEvents &events);

    // Runs a job on this token's thread. Everything below is called from
    // such jobs only.
    void post(WorkerThread::Job job) { thread_.post(std::move(job)); }
    WorkerThread &thread() { return thread_; }

    // Finds the certificate, asks `plan` what to sign (it may refuse the
    // certificate: then no PIN is sent), logs in with the PIN (nullptr: the
    // reader's PIN pad) — always checking it, even when the token is logged
    // in for another site — and signs with the certificate's key. Throws
    // HostError.
    CardSignature login_and_sign(const std::string &fingerprint, const SecurePin *pin,
                                 const SignPlan &plan);
    // Signs on a token that is still logged in (no PIN). ERR_NO_CARD when the
    // card left or lost its login since.
    CardSignature sign_logged_in(const std::string &fingerprint, const SignPlan &plan);
    // Ends the token's login (the logout command); false when it had none.
    bool logout();
    // The certificates whose logins this token served until a failed PIN
    // check logged it out (a check logs the token out first): the presence
    // sessions of those certificates prove nothing until a login succeeds.
    // Empty when nothing was lost, or a login has succeeded since.
    std::vector<std::string> logins_lost() const;

  private:
    // The certificate on this token, from a fresh slot list or (while logged
    // in) the one that logged in. ERR_NO_CARD, ERR_CERTIFICATE_NOT_FOUND.
    TokenCertificate find(const std::string &fingerprint, bool fresh);
    CardSignature sign(const TokenCertificate &c, const SignInput &input);
    [[noreturn]] void fail(const CardCertificate &c, unsigned long ckr, const std::string &what);
    // Drops the login (the card left or lost it). The slot list goes when
    // the operation is over (release_list_unless_logged_in), not before: the
    // operation may still hold its keys.
    void forget_login();
    // Not logged in: the slot list need not be kept (see Pkcs11Module).
    void release_list_unless_logged_in();
    // Logs the token out (what logout() and a PIN check do), keeping what
    // its logins served.
    bool end_login();

    Pkcs11Module &module_;
    unsigned long slot_id_;
    CardEvents &events_;
    Pkcs11Module::SlotList list_;
    PKCS11_SLOT *holder_ = nullptr; // the slot object of list_ that logged in
    // The certificates that logged in to this token while the card stayed
    // and no logout ended its login on purpose, and whether a failed PIN
    // check has left it logged out.
    std::set<std::string> served_;
    bool lost_ = false;
    WorkerThread thread_; // last: joined before the members above go
};

} // namespace cardbound::host

#include "card/card_token.h"

#include "core/error.h"

#include <openssl/err.h>
#include <p11-kit/pkcs11.h>
#include <spdlog/spdlog.h>

namespace cardbound::host
{

CardToken::CardToken(Pkcs11Module &module, unsigned long slot_id, CardEvents &events)
    : module_(module), slot_id_(slot_id), events_(events),
      thread_("card thread for slot " + std::to_string(slot_id) + " of " + module.path())
{
}

TokenCertificate CardToken::find(const std::string &fingerprint, bool fresh)
{
    if (fresh || !list_) {
        if (holder_)
            throw HostError(ErrorCode::Internal, "a fresh slot list while logged in");
        list_ = module_.read_slots();
    }
    PKCS11_SLOT *slot = list_.find(slot_id_);
    if (!slot || !slot->token || !slot->token->initialized)
        throw HostError(ErrorCode::NoCard, "the card is not in the reader");
    for (auto &c : read_token_certificates(module_, *slot, events_, fresh, &fingerprint))
        if (c.info.fingerprint == fingerprint)
            return std::move(c);
    throw HostError(ErrorCode::CertificateNotFound, "no card holds that certificate");
}

void CardToken::forget_login()
{
    // The slot list stays until the operation is over: its keys and
    // certificates may still be in use up the stack.
    if (holder_) {
        holder_ = nullptr;
        module_.forget_login();
    }
    served_.clear(); // the card left, or its login with it
    lost_ = false;
}

void CardToken::release_list_unless_logged_in()
{
    if (!holder_)
        list_ = {};
}

void CardToken::fail(const CardCertificate &c, unsigned long ckr, const std::string &what)
{
    spdlog::warn("{} failed in '{}': {}", what, c.reader, ckr_hex(ckr));
    if (means_card_gone(ckr)) {
        forget_login();
        events_.card_removed(c.reader, "pkcs11");
        throw HostError(ErrorCode::NoCard, "the card was removed");
    }
    switch (ckr) {
    case CKR_PIN_INCORRECT: {
        // Read the token's PIN flags again. Cards tell only "count low" and
        // "final try"; the exact number of tries left is not known.
        nlohmann::json details = nlohmann::json::object();
        Pkcs11Module::SlotList fresh;
        try {
            fresh = module_.read_slots();
        } catch (const std::runtime_error &) {
            // Without the flags the answer is still "incorrect".
        }
        if (PKCS11_SLOT *slot = fresh ? fresh.find(slot_id_) : nullptr; slot && slot->token) {
            if (slot->token->userPinLocked)
                throw HostError(ErrorCode::PinBlocked, "the PIN is blocked");
            details["pinState"] = pin_state(slot->token);
            if (slot->token->userPinFinalTry)
                details["triesLeft"] = 1;
        }
        throw HostError(ErrorCode::PinIncorrect, "the PIN is incorrect", details);
    }
    case CKR_PIN_LOCKED: throw HostError(ErrorCode::PinBlocked, "the PIN is blocked");
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_INVALID:
        throw HostError(ErrorCode::PinInvalid, "the card refuses a PIN of that form");
    case CKR_FUNCTION_CANCELED:
        throw HostError(ErrorCode::UserCancelled, "PIN entry was cancelled");
    case CKR_USER_NOT_LOGGED_IN:
        forget_login();
        throw HostError(ErrorCode::NoCard,
                        "the card is not logged in any more (pulled out, or a wrong PIN since)");
    default:
        throw HostError(ErrorCode::Pkcs11Failure, what + " failed",
                        {{"pkcs11Error", ckr_hex(ckr)}});
    }
}

CardSignature CardToken::login_and_sign(const std::string &fingerprint, const SecurePin *pin,
                                        const SignPlan &plan)
{
    // Every login checks the PIN, even when the token is logged in for
    // another site: log out first (Pkcs11Module::login makes sure of it).
    end_login();
    try {
        TokenCertificate c = find(fingerprint, /*fresh=*/true);
        SignInput input = plan(c.info);
        PKCS11_SLOT *slot = list_.find(slot_id_);
        if (slot->token->userPinLocked)
            throw HostError(ErrorCode::PinBlocked, "the PIN is blocked");
        if (!pin && !c.info.pin_pad)
            throw HostError(ErrorCode::BadRequest, "a PIN is needed (the reader has no PIN pad)");
        std::uint64_t removals = events_.removal_count(c.info.reader);
        int rc = module_.login(slot, pin ? pin->c_str() : nullptr);
        if (rc == Pkcs11Module::kCannotLogOut)
            throw HostError(ErrorCode::Pkcs11Failure,
                            "the card's previous login could not be ended");
        if (rc != 0)
            fail(c.info, take_pkcs11_error(), "login");
        holder_ = slot;
        served_.insert(fingerprint);
        lost_ = false;
        spdlog::info("logged in to '{}' in '{}'", c.info.token_label, c.info.reader);
        CardSignature s = sign(c, input);
        // A card pulled (and perhaps put back) during the login is not this login.
        if (s.removal_count != removals)
            throw HostError(ErrorCode::NoCard, "the card was removed during the login");
        return s;
    } catch (...) {
        // Logged out by the check, card still here: what it served is lost.
        lost_ = !holder_ && !served_.empty();
        release_list_unless_logged_in();
        throw;
    }
}

CardSignature CardToken::sign_logged_in(const std::string &fingerprint, const SignPlan &plan)
{
    if (!holder_)
        throw HostError(ErrorCode::NoCard,
                        "the card is not logged in any more (pulled out, or a wrong PIN since)");
    try {
        TokenCertificate c = find(fingerprint, /*fresh=*/false);
        return sign(c, plan(c.info));
    } catch (...) {
        release_list_unless_logged_in(); // the card may have left meanwhile
        throw;
    }
}

bool CardToken::logout()
{
    served_.clear();
    lost_ = false;
    return end_login();
}

std::vector<std::string> CardToken::logins_lost() const
{
    if (!lost_)
        return {};
    return {served_.begin(), served_.end()};
}

bool CardToken::end_login()
{
    if (!holder_) {
        list_ = {};
        return false;
    }
    module_.logout(holder_);
    holder_ = nullptr;
    list_ = {};
    return true;
}

CardSignature CardToken::sign(const TokenCertificate &c, const SignInput &input)
{
    PKCS11_KEY *key = PKCS11_find_key(c.cert);
    if (!key) {
        unsigned long ckr = take_pkcs11_error();
        if (ckr)
            fail(c.info, ckr, "finding the key");
        throw HostError(ErrorCode::CertificateNotFound, "the card has no key for that certificate");
    }
    ossl::Pkey pkey(PKCS11_get_private_key(key));
    if (!pkey)
        fail(c.info, take_pkcs11_error(), "opening the key");

    Algorithm alg = input.algorithm;
    const Bytes &hash = input.digest;
    ossl::PkeyCtx ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1)
        fail(c.info, take_pkcs11_error(), "signing");
    if (!set_signature_parameters(ctx.get(), alg))
        fail(c.info, take_pkcs11_error(), "signing");
    std::size_t len = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &len, hash.data(), hash.size()) != 1)
        fail(c.info, take_pkcs11_error(), "signing");
    Bytes sig(len);
    if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, hash.data(), hash.size()) != 1)
        fail(c.info, take_pkcs11_error(), "signing");
    sig.resize(len);
    if (key_kind_of(alg) == KeyKind::EC) {
        auto raw = ecdsa_der_to_raw(sig, ec_field_size(X509_get0_pubkey(c.info.certificate.get())));
        if (!raw)
            throw HostError(ErrorCode::Pkcs11Failure, "the card returned a malformed signature");
        sig = std::move(*raw);
    }
    // A signature is only as good as its check: a broken token must not slip
    // an invalid signature into a login.
    if (!verify_digest(X509_get0_pubkey(c.info.certificate.get()), alg, hash, sig))
        throw HostError(ErrorCode::Pkcs11Failure, "the card's signature does not verify");
    return {c.info, alg, std::move(sig), events_.removal_count(c.info.reader)};
}

} // namespace cardbound::host

#include "card/card_service.h"

#include "card/raw_pkcs11.h"

#include "cardbound/crypto/certificate.h"
#include "core/error.h"

#include <openssl/err.h>
#include <p11-kit/pkcs11.h>
#include <spdlog/spdlog.h>

namespace cardbound::host
{

namespace
{

std::string pin_state(const PKCS11_TOKEN *t)
{
    if (t->userPinLocked)
        return "locked";
    if (t->userPinFinalTry)
        return "final-try";
    if (t->userPinCountLow)
        return "count-low";
    return "ok";
}

// PKCS#11 results that mean the card is no longer there to answer.
bool means_card_gone(unsigned long ckr)
{
    switch (ckr) {
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_DEVICE_ERROR: return true;
    default: return false;
    }
}

std::string ckr_hex(unsigned long ckr)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%08lx", ckr);
    return buf;
}

// How this key signs logins: ECDSA by curve; RSA with PSS where the token
// can (raw RSA, see mechanisms.h), else PKCS#1 v1.5.
std::optional<Algorithm> signing_algorithm(X509 *cert, const Pkcs11Module &module,
                                           PKCS11_SLOT *slot)
{
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    auto alg = pub ? default_algorithm(pub) : std::nullopt;
    if (alg == Algorithm::RS256 &&
        token_signs_raw_rsa(module.path(), PKCS11_get_slotid_from_slot(slot)))
        alg = Algorithm::PS256;
    return alg;
}

} // namespace

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

std::vector<CardService::Found> CardService::scan(bool refresh, const std::string *only)
{
    std::vector<Found> found;
    for (auto &module : modules_) {
        if (refresh) {
            try {
                module->refresh();
            } catch (const std::exception &e) {
                spdlog::warn("{}", e.what());
                continue;
            }
        }
        for (PKCS11_SLOT &slot : module->slots()) {
            PKCS11_TOKEN *token = slot.token;
            // An uninitialised token has nothing to offer (and libp11 0.4.12
            // hangs enumerating one).
            if (!token || !token->initialized)
                continue;
            std::string reader = events_.reader_for_slot(slot.description ? slot.description : "");
            std::uint64_t removals = events_.removal_count(reader);
            PKCS11_CERT *certs = nullptr;
            unsigned int n = 0;
            if (PKCS11_enumerate_certs(token, &certs, &n) != 0) {
                unsigned long ckr = take_pkcs11_error();
                spdlog::warn("cannot list certificates in '{}': {}", reader, ckr_hex(ckr));
                if (means_card_gone(ckr))
                    events_.card_removed(reader, "pkcs11");
                continue;
            }
            std::vector<std::string> fingerprints;
            for (unsigned int i = 0; i < n; i++) {
                X509 *x = certs[i].x509;
                if (!x)
                    continue;
                std::string fingerprint = sha256_fingerprint(x);
                // Presence signs on every interval: describe only the one
                // certificate asked for (a refresh describes all, for events).
                if (only && !refresh && fingerprint != *only)
                    continue;
                auto alg = signing_algorithm(x, *module, &slot);
                if (!alg)
                    continue; // a key type we cannot sign with
                Found f{module.get(), &slot, &certs[i], {}};
                f.info.fingerprint = std::move(fingerprint);
                X509_up_ref(x);
                f.info.certificate = std::shared_ptr<X509>(x, X509_free);
                f.info.algorithm = *alg;
                f.info.module = module->path();
                f.info.reader = reader;
                f.info.token_label = token->label ? token->label : "";
                f.info.pin_pad = token->secureLogin != 0;
                f.info.pin_state = pin_state(token);
                fingerprints.push_back(f.info.fingerprint);
                found.push_back(std::move(f));
            }
            // Only a fresh read says what is in the reader now; a cached slot
            // list may still show a card that PC/SC saw leave.
            if (refresh)
                events_.remember_certificates(reader, std::move(fingerprints), removals);
        }
    }
    ERR_clear_error();
    return found;
}

std::vector<CardCertificate> CardService::list_certificates()
{
    std::vector<CardCertificate> out;
    for (auto &f : scan(/*refresh=*/true))
        out.push_back(std::move(f.info));
    return out;
}

CardService::Found CardService::find(const std::string &fingerprint, bool refresh)
{
    for (auto &f : scan(refresh, &fingerprint))
        if (f.info.fingerprint == fingerprint)
            return std::move(f);
    throw HostError(ErrorCode::CertificateNotFound, "no card holds that certificate");
}

void CardService::fail(const Found &f, unsigned long ckr, const std::string &what)
{
    spdlog::warn("{} failed in '{}': {}", what, f.info.reader, ckr_hex(ckr));
    if (means_card_gone(ckr)) {
        f.module->forget_login(f.slot);
        events_.card_removed(f.info.reader, "pkcs11");
        throw HostError(ErrorCode::NoCard, "the card was removed");
    }
    switch (ckr) {
    case CKR_PIN_INCORRECT: {
        // Read the token's PIN flags again. Cards tell only "count low" and
        // "final try"; the exact number of tries left is not known.
        nlohmann::json details = nlohmann::json::object();
        unsigned long slot_id = PKCS11_get_slotid_from_slot(f.slot);
        try {
            f.module->refresh(); // f.slot may be gone after this
        } catch (const std::exception &) {
            throw HostError(ErrorCode::PinIncorrect, "the PIN is incorrect");
        }
        for (PKCS11_SLOT &slot : f.module->slots()) {
            if (PKCS11_get_slotid_from_slot(&slot) != slot_id || !slot.token)
                continue;
            if (slot.token->userPinLocked)
                throw HostError(ErrorCode::PinBlocked, "the PIN is blocked");
            details["pinState"] = pin_state(slot.token);
            if (slot.token->userPinFinalTry)
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
        f.module->forget_login(f.slot);
        throw HostError(ErrorCode::NoCard, "the card lost its login (was it pulled out?)");
    default:
        throw HostError(ErrorCode::Pkcs11Failure, what + " failed",
                        {{"pkcs11Error", ckr_hex(ckr)}});
    }
}

CardService::Signature CardService::login_and_sign(const std::string &fingerprint,
                                                   const SecurePin *pin,
                                                   const DigestFor &digest_for)
{
    Found f = find(fingerprint, /*refresh=*/true);
    if (f.slot->token->userPinLocked)
        throw HostError(ErrorCode::PinBlocked, "the PIN is blocked");
    if (!pin && !f.info.pin_pad)
        throw HostError(ErrorCode::BadRequest, "a PIN is needed (the reader has no PIN pad)");
    // Every login checks the PIN again, even when the token is logged in for
    // another site (Pkcs11Module::login logs out first).
    std::uint64_t removals = events_.removal_count(f.info.reader);
    int rc = f.module->login(f.slot, pin ? pin->c_str() : nullptr);
    if (rc == Pkcs11Module::kCannotLogOut)
        throw HostError(ErrorCode::Pkcs11Failure, "the card's previous login could not be ended");
    if (rc != 0)
        fail(f, take_pkcs11_error(), "login");
    spdlog::info("logged in to '{}' in '{}'", f.info.token_label, f.info.reader);
    Signature s = sign_found(f, digest_for);
    // A card pulled (and perhaps put back) during the login is not this login.
    if (s.removal_count != removals)
        throw HostError(ErrorCode::NoCard, "the card was removed during the login");
    return s;
}

CardService::Signature CardService::sign_logged_in(const std::string &fingerprint,
                                                   const DigestFor &digest_for)
{
    Found f = find(fingerprint, /*refresh=*/false);
    if (!f.module->logged_in(f.slot))
        fail(f, CKR_USER_NOT_LOGGED_IN, "presence");
    return sign_found(f, digest_for);
}

CardService::Signature CardService::sign_found(Found &f, const DigestFor &digest_for)
{
    PKCS11_KEY *key = PKCS11_find_key(f.cert);
    if (!key) {
        unsigned long ckr = take_pkcs11_error();
        if (ckr)
            fail(f, ckr, "finding the key");
        throw HostError(ErrorCode::CertificateNotFound, "the card has no key for that certificate");
    }
    ossl::Pkey pkey(PKCS11_get_private_key(key));
    if (!pkey)
        fail(f, take_pkcs11_error(), "opening the key");

    Algorithm alg = f.info.algorithm;
    Bytes hash = digest_for(alg);
    ossl::PkeyCtx ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1)
        fail(f, take_pkcs11_error(), "signing");
    if (!set_signature_parameters(ctx.get(), alg))
        fail(f, take_pkcs11_error(), "signing");
    std::size_t len = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &len, hash.data(), hash.size()) != 1)
        fail(f, take_pkcs11_error(), "signing");
    Bytes sig(len);
    if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, hash.data(), hash.size()) != 1)
        fail(f, take_pkcs11_error(), "signing");
    sig.resize(len);
    if (key_kind_of(alg) == KeyKind::EC) {
        auto raw = ecdsa_der_to_raw(sig, ec_field_size(X509_get0_pubkey(f.info.certificate.get())));
        if (!raw)
            throw HostError(ErrorCode::Pkcs11Failure, "the card returned a malformed signature");
        sig = std::move(*raw);
    }
    // A signature is only as good as its check: a broken token must not slip
    // an invalid signature into a login.
    if (!verify_digest(X509_get0_pubkey(f.info.certificate.get()), alg, hash, sig))
        throw HostError(ErrorCode::Pkcs11Failure, "the card's signature does not verify");
    return {f.info, std::move(sig), events_.removal_count(f.info.reader)};
}

void CardService::logout(const std::string &fingerprint)
{
    try {
        Found f = find(fingerprint, /*refresh=*/false);
        f.module->logout(f.slot);
    } catch (const HostError &) {
        // Gone already: nothing to log out of.
    }
}

} // namespace cardbound::host

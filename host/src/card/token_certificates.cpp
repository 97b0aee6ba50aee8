#include "card/token_certificates.h"

#include "card/raw_pkcs11.h"

#include "cardbound/crypto/certificate.h"

#include <cstdio>
#include <openssl/err.h>
#include <p11-kit/pkcs11.h>
#include <spdlog/spdlog.h>

namespace cardbound::host
{

namespace
{

// How this key signs logins: ECDSA by curve; RSA with PSS where the token
// can (raw RSA, see raw_pkcs11.h), else PKCS#1 v1.5.
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

std::vector<TokenCertificate> read_token_certificates(Pkcs11Module &module, PKCS11_SLOT &slot,
                                                      CardEvents &events, bool remember,
                                                      const std::string *only)
{
    std::vector<TokenCertificate> found;
    PKCS11_TOKEN *token = slot.token;
    if (!token || !token->initialized)
        return found;
    std::string reader = events.reader_for_slot(slot.description ? slot.description : "");
    std::uint64_t removals = events.removal_count(reader);
    PKCS11_CERT *certs = nullptr;
    unsigned int n = 0;
    if (PKCS11_enumerate_certs(token, &certs, &n) != 0) {
        unsigned long ckr = take_pkcs11_error();
        spdlog::warn("cannot list certificates in '{}': {}", reader, ckr_hex(ckr));
        if (means_card_gone(ckr))
            events.card_removed(reader, "pkcs11");
        return found;
    }
    std::vector<std::string> fingerprints;
    for (unsigned int i = 0; i < n; i++) {
        X509 *x = certs[i].x509;
        if (!x)
            continue;
        std::string fingerprint = sha256_fingerprint(x);
        // Presence signs on every interval: describe only the one
        // certificate asked for (a fresh read describes all, for events).
        if (only && !remember && fingerprint != *only)
            continue;
        auto alg = signing_algorithm(x, module, &slot);
        if (!alg)
            continue; // a key type we cannot sign with
        TokenCertificate c{&certs[i], {}};
        c.info.fingerprint = std::move(fingerprint);
        // A copy of its own: the description crosses threads (the scanner's
        // list is released by whichever card thread comes last), libp11's
        // object must not.
        X509 *copy = X509_dup(x);
        if (!copy)
            continue;
        c.info.certificate = std::shared_ptr<X509>(copy, X509_free);
        c.info.algorithm = *alg;
        c.info.use = certificate_use(copy);
        c.info.module = module.path();
        c.info.reader = reader;
        c.info.token_label = token->label ? token->label : "";
        c.info.pin_pad = token->secureLogin != 0;
        c.info.pin_state = pin_state(token);
        fingerprints.push_back(c.info.fingerprint);
        found.push_back(std::move(c));
    }
    if (remember)
        events.remember_certificates(reader, std::move(fingerprints), removals);
    ERR_clear_error();
    return found;
}

} // namespace cardbound::host

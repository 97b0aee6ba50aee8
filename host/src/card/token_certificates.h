// Reading the signing certificates of one token through a libp11 slot
// object. Used by whichever card thread owns the slot list.
#pragma once

#include "card/card_certificate.h"
#include "card/card_events.h"
#include "card/pkcs11_module.h"

#include <optional>
#include <string>
#include <vector>

namespace cardbound::host
{

struct TokenCertificate {
    PKCS11_CERT *cert; // owned by the slot list it was read through
    CardCertificate info;
};

// Every certificate on the slot's token whose key we can sign with (or only
// the one with fingerprint `only`). An absent or uninitialised token has
// none (libp11 0.4.12 hangs enumerating an uninitialised one). With
// `remember`, the reader's certificates are recorded for removal events:
// only a fresh slot list says what is in the reader now.
std::vector<TokenCertificate> read_token_certificates(Pkcs11Module &module, PKCS11_SLOT &slot,
                                                      CardEvents &events, bool remember,
                                                      const std::string *only = nullptr);

// "ok", "count-low", "final-try" or "locked", from the token's PIN flags.
std::string pin_state(const PKCS11_TOKEN *token);

// PKCS#11 results that mean the card is no longer there to answer.
bool means_card_gone(unsigned long ckr);
std::string ckr_hex(unsigned long ckr);

} // namespace cardbound::host

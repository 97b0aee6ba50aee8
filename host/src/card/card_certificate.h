// A signing certificate on a card, as the commands see it, and what reading
// and signing with it give back. Plain values: they cross threads.
#pragma once

#include "cardbound/crypto/signature.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

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

struct CardSignature {
    CardCertificate certificate;
    Bytes value; // raw r||s for ECDSA
    std::uint64_t removal_count = 0;
};

// The digest to sign, once the key's algorithm is known.
using DigestFor = std::function<Bytes(Algorithm)>;

} // namespace cardbound::host

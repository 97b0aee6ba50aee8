// A signing certificate on a card, as the commands see it, and what reading
// and signing with it give back. Plain values: they cross threads.
#pragma once

#include "cardbound/crypto/certificate.h"
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
    Algorithm algorithm = Algorithm::ES256; // how this key signs logins
    CertificateUse use;                     // logging in, signing documents
    std::string module;
    std::string reader; // the slot description: the PC/SC reader name for OpenSC
    std::string token_label;
    bool pin_pad = false;
    std::string pin_state; // "ok", "count-low", "final-try", "locked"
};

struct CardSignature {
    CardCertificate certificate;
    Algorithm algorithm = Algorithm::ES256; // the one it was made with
    Bytes value;                            // raw r||s for ECDSA
    std::uint64_t removal_count = 0;
};

// What to sign with a certificate's key, and how.
struct SignInput {
    Algorithm algorithm;
    Bytes digest;
};
// Decides SignInput once the certificate is found on the card, before any
// PIN is sent: it throws HostError to refuse a certificate that is not for
// this (a signing certificate asked to log in).
using SignPlan = std::function<SignInput(const CardCertificate &)>;

// The plan of a login or presence proof: the key's own algorithm, over the
// digest digest_for(algorithm) makes.
inline SignPlan with_own_algorithm(std::function<Bytes(Algorithm)> digest_for)
{
    return [digest_for = std::move(digest_for)](const CardCertificate &c) {
        return SignInput{c.algorithm, digest_for(c.algorithm)};
    };
}

} // namespace cardbound::host

// The card holder, as the relying party tells the site (POST
// /cardbound/confirm, GET /api/me, cardbound-verify): read from a validated
// card certificate.
#pragma once

#include "cardbound/crypto/ossl.h"
#include "cardbound/crypto/signature.h"

#include <nlohmann/json.hpp>
#include <string>

namespace cardbound::server
{

struct Identity {
    std::string subject;
    std::string holder; // "GIVENNAME SURNAME", else the common name
    std::string given_name;
    std::string surname;
    std::string personal_code; // the subject's serialNumber attribute
    std::string country;
    std::string issuer;
    std::string serial_number;
    std::string fingerprint;
    std::string not_after;
    std::string algorithm;
    nlohmann::json to_json() const;
};

Identity identity_of(X509 *certificate, Algorithm algorithm);

} // namespace cardbound::server

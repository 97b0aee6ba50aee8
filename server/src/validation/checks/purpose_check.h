// What the card's certificate is for (rules 13 and 14): it must have a
// keyUsage with digitalSignature (a certificate without one says nothing
// about its key, and we refuse to guess); an extendedKeyUsage, when present,
// must include clientAuth. No extendedKeyUsage is accepted, as Web eID does:
// national card profiles differ on it, and keyUsage already limits the key.
#pragma once

#include "validation/checks/token_check.h"

namespace cardbound::server
{

class PurposeCheck : public TokenCheck
{
  public:
    void run(Candidate &c) const override; // CERT_WRONG_PURPOSE
};

} // namespace cardbound::server

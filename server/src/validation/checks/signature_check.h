// The token's signature (rule 17): made by the card's key, with the token's
// algorithm, over H(H(origin) || H(nonce)) (Web eID's hash of hashes, for
// this origin and this server nonce). Last: the most expensive check.
#pragma once

#include "validation/checks/token_check.h"

namespace cardbound::server
{

class SignatureCheck : public TokenCheck
{
  public:
    void run(Candidate &c) const override; // SIGNATURE_INVALID
};

} // namespace cardbound::server

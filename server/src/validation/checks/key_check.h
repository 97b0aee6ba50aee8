// The card's key and the token's algorithm (rules 5 and 6): RSA of 2048 bits
// or more, or EC on P-256, P-384 or P-521; and the algorithm is the one that
// key signs with: ES256 P-256, ES384 P-384, ES512 P-521, RS*/PS* RSA.
#pragma once

#include "validation/checks/token_check.h"

namespace cardbound::server
{

class KeyCheck : public TokenCheck
{
  public:
    void run(Candidate &c) const override; // ALGORITHM_UNSUPPORTED
};

} // namespace cardbound::server

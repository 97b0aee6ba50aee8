// The card's certificate is valid at the validation time (rule 7). Checked
// before the path: an expired card is the most common refusal, and says so.
#pragma once

#include "validation/checks/token_check.h"

namespace cardbound::server
{

class ValidityCheck : public TokenCheck
{
  public:
    void run(Candidate &c) const override; // CERT_EXPIRED, CERT_NOT_YET_VALID
};

} // namespace cardbound::server

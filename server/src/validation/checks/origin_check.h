// The site's origin (rule 3): what the token must have been made for is a
// canonical https origin. The same rule refuses a bad --origin at start.
#pragma once

#include "validation/checks/token_check.h"

namespace cardbound::server
{

// Why `origin` cannot be a relying party's origin, or an empty string.
std::string origin_problem(const std::string &origin);

class OriginCheck : public TokenCheck
{
  public:
    void run(Candidate &c) const override; // ORIGIN_MISMATCH
};

} // namespace cardbound::server

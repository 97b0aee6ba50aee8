#include "validation/checks/origin_check.h"

#include "cardbound/protocol/origin.h"

namespace cardbound::server
{

std::string origin_problem(const std::string &origin)
{
    auto parsed = parse_origin(origin);
    if (!parsed || parsed->serialize() != origin)
        return "is not a canonical origin (scheme://host[:port], lowercase, no default port, no "
               "path)";
    // Card logins happen on https pages only: the browser keeps the session
    // cookie (Secure, __Host-) only there, and the host refuses other sites.
    if (!origin.starts_with("https://"))
        return "is not an https origin";
    return {};
}

void OriginCheck::run(Candidate &c) const
{
    if (auto why = origin_problem(c.origin); !why.empty())
        refuse(ValidationCode::OriginMismatch, "the expected origin " + why);
}

} // namespace cardbound::server

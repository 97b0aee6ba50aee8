#include "validation/checks/revocation_check.h"

namespace cardbound::server
{

RevocationCheck::RevocationCheck(std::shared_ptr<RevocationChecker> checker)
    : checker_(std::move(checker))
{
}

void RevocationCheck::run(Candidate &c) const
{
    // The issuer is the next certificate of the path TrustPathCheck built.
    X509 *issuer =
        c.chain && sk_X509_num(c.chain.get()) > 1 ? sk_X509_value(c.chain.get(), 1) : nullptr;
    if (!issuer)
        refuse(ValidationCode::RevocationUnknown, "no issuer to ask about revocation");
    checker_->check(c.certificate.get(), issuer, c.at);
}

} // namespace cardbound::server

#include "validation/checks/signature_check.h"

namespace cardbound::server
{

void SignatureCheck::run(Candidate &c) const
{
    Bytes d = login_digest(c.token.algorithm, c.origin, c.nonce);
    if (!verify_digest(c.key(), c.token.algorithm, d, c.token.signature))
        refuse(ValidationCode::SignatureInvalid,
               "the signature does not cover this origin and nonce with this certificate");
}

} // namespace cardbound::server

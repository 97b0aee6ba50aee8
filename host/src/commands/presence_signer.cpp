#include "commands/presence_signer.h"

namespace cardbound::host
{

PresenceProof sign_presence(HostContext &context, CardToken *token, const PresenceSession &session,
                            const std::string &nonce)
{
    if (!token || context.events->removal_count(session.reader) != session.removal_count)
        throw HostError(ErrorCode::NoCard, "the card was removed since the login");
    auto signature = token->sign_logged_in(
        session.certificate_fingerprint, with_own_algorithm([&](Algorithm alg) {
            return presence_digest(alg, session.origin, session.session_tag, nonce);
        }));
    // The card may have been pulled and put back between the check above and
    // the signature: the count tells.
    if (signature.removal_count != session.removal_count)
        throw HostError(ErrorCode::NoCard, "the card was removed since the login");
    PresenceProof proof;
    proof.session_tag = session.session_tag;
    proof.nonce = nonce;
    proof.algorithm = signature.algorithm;
    proof.signature = std::move(signature.value);
    return proof;
}

} // namespace cardbound::host

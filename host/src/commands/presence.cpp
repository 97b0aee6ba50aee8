// presence: a signed presence challenge from the logged-in server, answered
// without a PIN while the card stays in. Replays and other servers' messages
// are refused; a pulled card ends the session.
#include "commands/challenge_argument.h"
#include "commands/presence_signer.h"

#include <algorithm>

namespace cardbound::host
{

nlohmann::json handle_presence(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"challenge"});
    const Origin &origin = request.require_origin();
    auto challenge = message_argument<PresenceChallenge>(request, "challenge");
    std::time_t now = context.now();

    PresenceSession &session =
        context.logins.find_session(origin.serialize(), challenge.session_tag, now);
    context.verifier->verify_presence_challenge(challenge, session.server, origin, now);
    if (challenge.nonce == session.last_nonce)
        throw HostError(ErrorCode::ServerNotTrusted, "the presence challenge was already answered",
                        {{"reason", "replay"}});
    PresenceProof proof;
    try {
        proof = sign_presence(context, session, challenge.nonce);
    } catch (const HostError &e) {
        if (e.code == ErrorCode::NoCard)
            context.logins.end_sessions(session.origin, session.session_tag);
        throw;
    }
    session.last_nonce = challenge.nonce;
    session.expires = now + session.idle_limit();
    return {{"proof", proof.to_json()}};
}

} // namespace cardbound::host

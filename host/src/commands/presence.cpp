// presence: a signed presence challenge from the logged-in server, answered
// by the card's thread without a PIN while the card stays in. Replays and
// other servers' messages are refused; a pulled card ends the session.
#include "commands/challenge_argument.h"
#include "commands/presence_signer.h"

namespace cardbound::host
{

namespace
{

// On the card's thread, so two proofs of one session never race: the nonce
// is taken (a replay refused) right before signing. A card that is gone ends
// the session.
Reply prove_presence(HostContext &context, CardToken *token, const PresenceSession &session,
                     const std::string &nonce)
{
    context.logins.claim_presence_nonce(session.origin, session.session_tag, nonce, context.now());
    try {
        return nlohmann::json{{"proof", sign_presence(context, token, session, nonce).to_json()}};
    } catch (const HostError &e) {
        if (e.code == ErrorCode::NoCard)
            context.logins.end_sessions(session.origin, session.session_tag);
        throw;
    }
}

} // namespace

Reply handle_presence(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"challenge"});
    const Origin &origin = request.require_origin();
    auto challenge = message_argument<PresenceChallenge>(request, "challenge");
    std::time_t now = context.now();

    PresenceSession session =
        context.logins.find_session(origin.serialize(), challenge.session_tag, now);
    context.verifier->verify_presence_challenge(challenge, session.server, origin, now);
    auto job = [&context, id = request.id, session, nonce = challenge.nonce](CardToken *token) {
        context.answer(id, "presence",
                       [&] { return prove_presence(context, token, session, nonce); });
    };
    context.cards->on_token_of(session.certificate_fingerprint, std::move(job));
    return std::nullopt;
}

} // namespace cardbound::host

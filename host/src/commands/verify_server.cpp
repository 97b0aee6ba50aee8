// verify-server: step 1 on its own, so that the extension opens the PIN
// window only for a server the host has verified.
#include "commands/challenge_argument.h"
#include "commands/context.h"

namespace cardbound::host
{

nlohmann::json handle_verify_server(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"loginId", "challenge"});
    const Origin &origin = request.require_origin();
    const std::string &login_id = string_argument(request, "loginId", 64);
    auto challenge = message_argument<ServerChallenge>(request, "challenge");
    std::time_t now = context.now();
    PendingLogin &login = context.logins.find(login_id, origin.serialize(), now);
    VerifiedServer server =
        context.verifier->verify_challenge(challenge, origin, login.host_nonce, now);
    return {{"server", {{"subject", server.subject}, {"fingerprint", server.fingerprint}}},
            {"expiresAt", challenge.expires_at}};
}

} // namespace cardbound::host

// verify-server: step 1, the only place the server's challenge is parsed and
// its chain verified. The extension opens the PIN window only for a server
// the host has verified; the login keeps what was verified for authenticate.
#include "cardbound/crypto/certificate.h"
#include "commands/challenge_argument.h"
#include "commands/context.h"

namespace cardbound::host
{

Reply handle_verify_server(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"loginId", "challenge"});
    const Origin &origin = request.require_origin();
    const std::string &login_id = string_argument(request, "loginId", 64);
    auto challenge = message_argument<ServerChallenge>(request, "challenge");
    std::time_t now = context.now();
    PendingLogin login = context.logins.find(login_id, origin.serialize(), now);
    VerifiedServer server =
        context.verifier->verify_challenge(challenge, origin, login.host_nonce, now);
    // verify_challenge read the expiry already: it parses.
    std::time_t expires = parse_time(challenge.expires_at).value_or(0);
    context.logins.server_verified(login_id, login.origin, server, challenge.server_nonce, expires,
                                   now);
    return nlohmann::json{
        {"server", {{"subject", server.subject}, {"fingerprint", server.fingerprint}}},
        {"expiresAt", challenge.expires_at}};
}

} // namespace cardbound::host

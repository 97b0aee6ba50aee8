// begin-login: a fresh host nonce for this origin. The server must sign it
// into its challenge, which proves the challenge was made for this login.
#include "cardbound/crypto/certificate.h"
#include "commands/context.h"

namespace cardbound::host
{

Reply handle_begin_login(Request &request, HostContext &context)
{
    allow_only_arguments(request, {});
    const Origin &origin = request.require_origin();
    PendingLogin login = context.logins.begin(origin.serialize(), context.now());
    return nlohmann::json{{"loginId", login.login_id},
                          {"hostNonce", login.host_nonce},
                          {"expiresAt", format_time(login.expires)}};
}

} // namespace cardbound::host

// confirm: step 3. The server's receipt must be signed by the server that
// was verified at login and name this login's nonce and token; then the card
// signs the first presence proof and a presence session begins.
#include "commands/challenge_argument.h"
#include "commands/presence_signer.h"

#include <algorithm>
#include <spdlog/spdlog.h>

namespace cardbound::host
{

nlohmann::json handle_confirm(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"loginId", "receipt"});
    const Origin &origin = request.require_origin();
    const std::string &login_id = string_argument(request, "loginId", 64);
    auto receipt = message_argument<Receipt>(request, "receipt");
    std::time_t now = context.now();

    PendingLogin &login = context.logins.find(login_id, origin.serialize(), now);
    if (!login.server)
        throw HostError(ErrorCode::BadRequest, "authenticate comes before confirm");
    context.verifier->verify_receipt(receipt, *login.server, origin, now);
    if (receipt.server_nonce != login.server_nonce || receipt.token_hash != login.token_hash)
        throw HostError(ErrorCode::ServerNotTrusted, "the receipt is for another login",
                        {{"reason", "receipt-mismatch"}});

    PresenceSession session;
    session.origin = origin.serialize();
    session.session_tag = receipt.session_tag;
    session.server = *login.server;
    session.certificate_fingerprint = login.certificate_fingerprint;
    session.reader = login.reader;
    session.removal_count = login.removal_count;
    session.last_nonce = receipt.presence_nonce;
    session.presence_interval = receipt.presence_interval;
    session.expires = now + session.idle_limit();

    PresenceProof proof = sign_presence(context, session, receipt.presence_nonce);
    context.logins.finish(login_id);
    context.logins.add_session(std::move(session));
    spdlog::info("presence session started for {}", origin.serialize());
    return {{"proof", proof.to_json()}, {"sessionTag", receipt.session_tag}};
}

} // namespace cardbound::host

// confirm: step 3. The server's receipt must be signed by the server that
// was verified at login and name this login's nonce and token; then the
// card's thread signs the first presence proof and a presence session begins.
#include "commands/challenge_argument.h"
#include "commands/presence_signer.h"

#include <spdlog/spdlog.h>

namespace cardbound::host
{

namespace
{

// On the card's thread: the first presence proof; then the login is used up
// and the session begins. On failure the login stays signed, for another try.
Reply sign_first_proof(HostContext &context, CardToken *token, const std::string &login_id,
                       const PresenceSession &session)
{
    try {
        PresenceProof proof = sign_presence(context, token, session, session.last_nonce);
        context.logins.confirmed(login_id, session);
        spdlog::info("presence session started for {}", session.origin);
        return nlohmann::json{{"proof", proof.to_json()}, {"sessionTag", session.session_tag}};
    } catch (...) {
        context.logins.confirming_failed(login_id);
        throw;
    }
}

} // namespace

Reply handle_confirm(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"loginId", "receipt"});
    const Origin &origin = request.require_origin();
    const std::string &login_id = string_argument(request, "loginId", 64);
    auto receipt = message_argument<Receipt>(request, "receipt");
    std::time_t now = context.now();

    PendingLogin login = context.logins.start_confirming(login_id, origin.serialize(), now);
    try {
        context.verifier->verify_receipt(receipt, *login.server, origin, now);
        if (receipt.server_nonce != login.server_nonce || receipt.token_hash != login.token_hash)
            throw HostError(ErrorCode::ServerNotTrusted, "the receipt is for another login",
                            {{"reason", "receipt-mismatch"}});
    } catch (...) {
        context.logins.confirming_failed(login_id);
        throw;
    }

    PresenceSession session;
    session.origin = login.origin;
    session.session_tag = receipt.session_tag;
    session.server = *login.server;
    session.certificate_fingerprint = login.certificate_fingerprint;
    session.reader = login.reader;
    session.removal_count = login.removal_count;
    session.last_nonce = receipt.presence_nonce;
    session.presence_interval = receipt.presence_interval;
    session.expires = now + session.idle_limit();

    auto job = [&context, id = request.id, login_id, session](CardToken *token) {
        context.answer(id, "confirm",
                       [&] { return sign_first_proof(context, token, login_id, session); });
    };
    context.cards->on_token_of(session.certificate_fingerprint, std::move(job));
    return std::nullopt;
}

} // namespace cardbound::host

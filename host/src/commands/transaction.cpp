// verify-transaction and confirm-transaction: a text the site's server asks
// the user to confirm with the card of a live session ("pay 1,200 EUR to
// ACME"). The challenge must come from the server verified at that
// session's login, for this origin and session, fresh (docs/protocol.md §3).
// verify-transaction answers the text for the trusted window, which shows
// the text from the host's answer, never the page's; confirm-transaction
// checks the same challenge again (no state between the two), then the
// session's card signs, after its PIN, a digest of origin, session, text
// and nonce that no login or presence proof can be made to look like.
#include "commands/challenge_argument.h"
#include "commands/context.h"
#include "commands/logged_out_sites.h"
#include "commands/pin_argument.h"

#include <spdlog/spdlog.h>

namespace cardbound::host
{

namespace
{

struct VerifiedTransaction {
    TransactionChallenge challenge;
    PresenceSession session;
};

VerifiedTransaction verified_transaction(const Request &request, HostContext &context)
{
    const Origin &origin = request.require_origin();
    auto challenge = message_argument<TransactionChallenge>(request, "challenge");
    std::time_t now = context.now();
    PresenceSession session =
        context.logins.find_session(origin.serialize(), challenge.session_tag, now);
    context.verifier->verify_transaction_challenge(challenge, session.server, origin, now);
    return {std::move(challenge), std::move(session)};
}

// On the card's thread: the PIN, then the signature with the session's key.
Reply sign_transaction(HostContext &context, CardToken *token, const VerifiedTransaction &t,
                       const SecurePin *pin)
{
    const PresenceSession &s = t.session;
    const TransactionChallenge &c = t.challenge;
    if (!token || context.events->removal_count(s.reader) != s.removal_count)
        throw HostError(ErrorCode::NoCard, "the card was removed since the login");
    CardSignature signature;
    try {
        signature = token->login_and_sign(
            s.certificate_fingerprint, pin, with_own_algorithm([&](Algorithm alg) {
                return transaction_digest(alg, s.origin, s.session_tag, c.text, c.nonce);
            }));
    } catch (HostError &e) {
        tell_sites_logged_out(e, token, context.logins); // this site's own session too
        throw;
    }
    if (signature.removal_count != s.removal_count)
        throw HostError(ErrorCode::NoCard, "the card was removed since the login");
    TransactionConfirmation confirmation;
    confirmation.session_tag = s.session_tag;
    confirmation.text = c.text;
    confirmation.nonce = c.nonce;
    confirmation.certificate = certificate_der(signature.certificate.certificate.get());
    confirmation.algorithm = signature.algorithm;
    confirmation.signature = std::move(signature.value);
    // The text may be personal: its length only.
    spdlog::info("transaction of {} bytes confirmed for {}", c.text.size(), s.origin);
    return nlohmann::json{{"confirmation", confirmation.to_json()}};
}

} // namespace

Reply handle_verify_transaction(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"challenge"});
    VerifiedTransaction t = verified_transaction(request, context);
    const VerifiedServer &server = t.session.server;
    return nlohmann::json{
        {"text", t.challenge.text},
        {"certificate", t.session.certificate_fingerprint},
        {"server", {{"subject", server.subject}, {"fingerprint", server.fingerprint}}},
        {"expiresAt", t.challenge.expires_at}};
}

Reply handle_confirm_transaction(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"challenge", "pin"});
    std::shared_ptr<const SecurePin> pin = take_pin(request);
    VerifiedTransaction t = verified_transaction(request, context);
    check_pin_length(pin.get());
    std::string fingerprint = t.session.certificate_fingerprint;
    auto job = [&context, id = request.id, t = std::move(t), pin](CardToken *token) {
        context.answer(id, "confirm-transaction",
                       [&] { return sign_transaction(context, token, t, pin.get()); });
    };
    context.cards->on_token_of(fingerprint, std::move(job), /*rescan=*/true);
    return std::nullopt;
}

} // namespace cardbound::host

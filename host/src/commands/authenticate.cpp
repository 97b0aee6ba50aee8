// authenticate: step 2. The server's challenge is verified again here,
// before the PIN is touched; then the card logs in and signs the Web eID
// login digest H(H(origin) || H(serverNonce)).
#include "cardbound/crypto/certificate.h"
#include "commands/challenge_argument.h"
#include "commands/context.h"

#include <spdlog/spdlog.h>

namespace cardbound::host
{

namespace
{

// Takes the PIN out of the request at once and wipes it there, so that no
// copy stays behind whatever fails later. It is only used after the server
// has been verified.
void take_pin(Request &request, std::optional<SecurePin> &pin)
{
    auto it = request.arguments.find("pin");
    if (it == request.arguments.end())
        return;
    if (!it->is_string())
        throw HostError(ErrorCode::BadRequest, "argument 'pin' must be a string");
    pin.emplace(it->get_ref<std::string &>()); // wipes the JSON string
}

} // namespace

nlohmann::json handle_authenticate(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"loginId", "challenge", "certificate", "pin"});
    std::optional<SecurePin> pin;
    take_pin(request, pin);
    const Origin &origin = request.require_origin();
    const std::string &login_id = string_argument(request, "loginId", 64);
    const std::string fingerprint = string_argument(request, "certificate", 64);
    auto challenge = message_argument<ServerChallenge>(request, "challenge");
    std::time_t now = context.now();

    PendingLogin &login = context.logins.find(login_id, origin.serialize(), now);
    // Step 1 before anything else: no PIN for an unverified server.
    VerifiedServer server =
        context.verifier->verify_challenge(challenge, origin, login.host_nonce, now);
    if (pin && (pin->size() < 4 || pin->size() > 64))
        throw HostError(ErrorCode::PinInvalid, "a PIN has 4 to 64 characters");

    std::string origin_text = origin.serialize();
    auto signature =
        context.cards->login_and_sign(fingerprint, pin ? &*pin : nullptr, [&](Algorithm alg) {
            return login_digest(alg, origin_text, challenge.server_nonce);
        });

    AuthToken token;
    token.certificate = certificate_der(signature.certificate.certificate.get());
    token.algorithm = signature.certificate.algorithm;
    token.signature = signature.value;
    token.app_version = "cardbound-host/" + std::string(kHostVersion);

    login.server = server;
    login.server_nonce = challenge.server_nonce;
    login.certificate_fingerprint = fingerprint;
    login.token_hash = base64_encode(digest(EVP_sha256(), signature.value));
    login.reader = signature.certificate.reader;
    login.removal_count = signature.removal_count;
    spdlog::info("login signed for {} with {}", origin_text, fingerprint.substr(0, 16));
    return {{"token", token.to_json()}};
}

} // namespace cardbound::host

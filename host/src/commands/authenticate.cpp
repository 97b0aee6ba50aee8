// authenticate: step 2, for a login whose server verify-server verified.
// Only the challenge's freshness is checked again; then the card's thread
// logs in with the PIN and signs the Web eID login digest
// H(H(origin) || H(serverNonce)), and answers.
#include "cardbound/crypto/certificate.h"
#include "commands/context.h"
#include "commands/logged_out_sites.h"
#include "commands/pin_argument.h"

#include <spdlog/spdlog.h>

namespace cardbound::host
{

namespace
{

// On the card's thread: log in, sign the login digest, remember the token for
// confirm. The login goes back to ServerVerified (for another try) on any
// failure.
Reply sign_login(HostContext &context, CardToken *token, const PendingLogin &login,
                 const std::string &fingerprint, const SecurePin *pin)
{
    try {
        if (!token)
            throw HostError(ErrorCode::CertificateNotFound, "no card holds that certificate");
        auto digest_for = [&](Algorithm alg) {
            return login_digest(alg, login.origin, login.server_nonce);
        };
        auto signature = token->login_and_sign(fingerprint, pin, [&](const CardCertificate &c) {
            // A signing certificate's PIN is not for logins.
            if (!c.use.login)
                throw HostError(ErrorCode::CertificateNotFound,
                                "that certificate is not for logging in");
            return with_own_algorithm(digest_for)(c);
        });
        AuthToken answer;
        answer.certificate = certificate_der(signature.certificate.certificate.get());
        answer.algorithm = signature.algorithm;
        answer.signature = signature.value;
        answer.app_version = "cardbound-host/" + std::string(kHostVersion);
        context.logins.signed_in(login.login_id, fingerprint,
                                 base64_encode(digest(EVP_sha256(), signature.value)),
                                 signature.certificate.reader, signature.removal_count);
        spdlog::info("login signed for {} with {}", login.origin, fingerprint.substr(0, 16));
        return nlohmann::json{{"token", answer.to_json()}};
    } catch (HostError &e) {
        tell_sites_logged_out(e, token, context.logins);
        context.logins.signing_failed(login.login_id);
        throw;
    } catch (...) {
        context.logins.signing_failed(login.login_id);
        throw;
    }
}

} // namespace

Reply handle_authenticate(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"loginId", "certificate", "pin"});
    std::shared_ptr<const SecurePin> pin = take_pin(request);
    const Origin &origin = request.require_origin();
    const std::string &login_id = string_argument(request, "loginId", 64);
    const std::string fingerprint = string_argument(request, "certificate", 64);

    // No PIN for an unverified server: the login must have passed
    // verify-server, and its challenge must still be fresh.
    PendingLogin login = context.logins.start_signing(login_id, origin.serialize(), context.now());
    try {
        check_pin_length(pin.get());
    } catch (...) {
        context.logins.signing_failed(login_id);
        throw;
    }

    // A login reads the cards again: the card may be in another reader now.
    auto job = [&context, id = request.id, login, fingerprint, pin](CardToken *token) {
        context.answer(id, "authenticate",
                       [&] { return sign_login(context, token, login, fingerprint, pin.get()); });
    };
    context.cards->on_token_of(fingerprint, std::move(job), /*rescan=*/true);
    return std::nullopt;
}

} // namespace cardbound::host

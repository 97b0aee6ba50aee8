// sign: a document signature with the card's signing key (Web eID's `sign`
// in shape), for a site that proved itself in verify-server, like step 2 of
// a login. The site sends the hash of its document and the hash function;
// the card signs that hash with the signing certificate's key, after its
// own PIN. One verified challenge signs one hash.
#include "commands/context.h"
#include "commands/logged_out_sites.h"
#include "commands/pin_argument.h"

#include <spdlog/spdlog.h>

namespace cardbound::host
{

namespace
{

// The hash as the site sent it: base64, exactly as long as its function's.
Bytes document_hash(const Request &request, const EVP_MD *md)
{
    const std::string &text = string_argument(request, "hash", 128);
    auto hash = base64_decode(text);
    if (!hash || hash->size() != static_cast<std::size_t>(EVP_MD_get_size(md)))
        throw HostError(ErrorCode::BadRequest,
                        "hash is not a base64 " + std::string(EVP_MD_get0_name(md)) + " hash");
    return *hash;
}

// On the card's thread: log in with the signing PIN and sign the hash. The
// login goes back to ServerVerified (for another try) on any failure.
Reply sign_document(HostContext &context, CardToken *token, const PendingLogin &login,
                    const std::string &fingerprint, const SecurePin *pin, const Bytes &hash,
                    const EVP_MD *md)
{
    try {
        if (!token)
            throw HostError(ErrorCode::CertificateNotFound, "no card holds that certificate");
        auto signature = token->login_and_sign(fingerprint, pin, [&](const CardCertificate &c) {
            // A login certificate signs logins only: its key was never
            // certified to commit its holder to a document.
            if (!c.use.signing)
                throw HostError(ErrorCode::CertificateNotFound,
                                "that certificate is not for signing");
            return SignInput{with_hash(c.algorithm, md), hash};
        });
        context.logins.signed_document(login.login_id);
        Algorithm alg = signature.algorithm;
        spdlog::info("document signed for {} with {}", login.origin, fingerprint.substr(0, 16));
        return nlohmann::json{{"signature", base64_encode(signature.value)},
                              {"signatureAlgorithm",
                               {{"cryptoAlgorithm", crypto_algorithm_name(alg)},
                                {"hashFunction", hash_function_name(alg)},
                                {"paddingScheme", padding_scheme_name(alg)}}}};
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

Reply handle_sign(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"loginId", "certificate", "hash", "hashFunction", "pin"});
    std::shared_ptr<const SecurePin> pin = take_pin(request);
    const Origin &origin = request.require_origin();
    const std::string &login_id = string_argument(request, "loginId", 64);
    const std::string fingerprint = string_argument(request, "certificate", 64);
    const std::string &hash_function = string_argument(request, "hashFunction", 16);
    const EVP_MD *md = hash_function_named(hash_function);
    if (!md)
        throw HostError(ErrorCode::BadRequest, "hashFunction is SHA-256, SHA-384 or SHA-512");
    Bytes hash = document_hash(request, md);

    // No PIN for an unverified server, as for a login.
    PendingLogin login = context.logins.start_signing(login_id, origin.serialize(), context.now());
    try {
        check_pin_length(pin.get());
    } catch (...) {
        context.logins.signing_failed(login_id);
        throw;
    }

    auto job = [&context, id = request.id, login, fingerprint, pin, hash, md](CardToken *token) {
        context.answer(id, "sign", [&] {
            return sign_document(context, token, login, fingerprint, pin.get(), hash, md);
        });
    };
    context.cards->on_token_of(fingerprint, std::move(job), /*rescan=*/true);
    return std::nullopt;
}

} // namespace cardbound::host

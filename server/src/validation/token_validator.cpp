#include "validation/token_validator.h"

#include "cardbound/crypto/certificate.h"
#include "cardbound/protocol/origin.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace cardbound::server
{

namespace
{

[[noreturn]] void fail(ValidationCode code, const std::string &why)
{
    throw ValidationError(code, why);
}

std::string name_entry(X509 *cert, int nid)
{
    const X509_NAME *name = X509_get_subject_name(cert);
    int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0)
        return {};
    unsigned char *utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
    if (len < 0)
        return {};
    std::string out(reinterpret_cast<char *>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return out;
}

ValidationCode code_for_verify_error(int err)
{
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return ValidationCode::CertExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return ValidationCode::CertNotYetValid;
    case X509_V_ERR_INVALID_PURPOSE: return ValidationCode::CertWrongPurpose;
    case X509_V_ERR_CERT_REVOKED: return ValidationCode::CertRevoked;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE: return ValidationCode::RevocationUnknown;
    default: return ValidationCode::CertUntrusted;
    }
}

} // namespace

nlohmann::json Identity::to_json() const
{
    return {{"subject", subject},
            {"holder", holder},
            {"givenName", given_name},
            {"surname", surname},
            {"personalCode", personal_code},
            {"country", country},
            {"issuer", issuer},
            {"serialNumber", serial_number},
            {"fingerprint", fingerprint},
            {"notAfter", not_after},
            {"algorithm", algorithm}};
}

TokenValidator::TokenValidator(ValidatorConfig config) : config_(std::move(config)) {}

AuthToken TokenValidator::parse(const nlohmann::json &token)
{
    try {
        return AuthToken::from_json(token);
    } catch (const ProtocolError &e) {
        fail(ValidationCode::TokenMalformed, e.what());
    }
}

Identity TokenValidator::validate(const AuthToken &token, const std::string &origin,
                                  const std::string &nonce, std::time_t at) const
{
    auto parsed_origin = parse_origin(origin);
    if (!parsed_origin || parsed_origin->serialize() != origin)
        fail(ValidationCode::OriginMismatch, "the expected origin is not a canonical origin");

    ossl::X509Ptr cert = parse_der_certificate(token.certificate);
    if (!cert)
        fail(ValidationCode::TokenMalformed, "unverifiedCertificate is not a DER certificate");
    EVP_PKEY *key = X509_get0_pubkey(cert.get());
    if (!key)
        fail(ValidationCode::TokenMalformed, "the certificate's key cannot be read");
    int key_id = EVP_PKEY_get_base_id(key);
    bool kind_ok = key_kind_of(token.algorithm) == KeyKind::EC ? key_id == EVP_PKEY_EC
                                                               : key_id == EVP_PKEY_RSA;
    if (!kind_ok)
        fail(ValidationCode::AlgorithmUnsupported,
             std::string(to_string(token.algorithm)) + " does not fit the certificate's key");

    // Validity of the card's own certificate first: the most common refusal.
    if (X509_cmp_time(X509_get0_notAfter(cert.get()), &at) < 0)
        fail(ValidationCode::CertExpired, "the certificate has expired");
    if (X509_cmp_time(X509_get0_notBefore(cert.get()), &at) > 0)
        fail(ValidationCode::CertNotYetValid, "the certificate is not valid yet");

    // The chain, at the validation time, with CRLs when there are any.
    ossl::X509Store store(X509_STORE_new());
    for (const auto &a : config_.trust_anchors)
        X509_STORE_add_cert(store.get(), a.get());
    for (const auto &source : config_.crls)
        if (auto crl = source->current(at); crl)
            X509_STORE_add_crl(store.get(), crl.get());
    ERR_clear_error();
    ossl::X509Stack untrusted(sk_X509_new_null());
    for (const auto &c : config_.intermediates) {
        X509_up_ref(c.get());
        sk_X509_push(untrusted.get(), c.get());
    }
    ossl::X509StoreCtx ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), untrusted.get());
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_time(param, at);
    unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN; // an intermediate may be the anchor
    if (!config_.crls.empty())
        flags |= X509_V_FLAG_CRL_CHECK;
    X509_VERIFY_PARAM_set_flags(param, flags);
    // SSL client purpose: an EKU, when present, must allow clientAuth.
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
    if (X509_verify_cert(ctx.get()) != 1) {
        int err = X509_STORE_CTX_get_error(ctx.get());
        ERR_clear_error();
        fail(code_for_verify_error(err),
             std::string("certificate check failed: ") + X509_verify_cert_error_string(err));
    }
    if (!(X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE))
        fail(ValidationCode::CertWrongPurpose,
             "the certificate's key is not for digital signatures");

    if (config_.revocation) {
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx.get());
        X509 *issuer = sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : nullptr;
        if (!issuer)
            fail(ValidationCode::RevocationUnknown, "no issuer to ask about revocation");
        config_.revocation->check(cert.get(), issuer, at);
    }

    Bytes d = login_digest(token.algorithm, origin, nonce);
    if (!verify_digest(key, token.algorithm, d, token.signature))
        fail(ValidationCode::SignatureInvalid,
             "the signature does not cover this origin and nonce with this certificate");

    CertificateDescription desc = describe(cert.get());
    Identity id;
    id.subject = desc.subject;
    id.holder = desc.holder;
    id.given_name = name_entry(cert.get(), NID_givenName);
    id.surname = name_entry(cert.get(), NID_surname);
    id.personal_code = name_entry(cert.get(), NID_serialNumber);
    id.country = name_entry(cert.get(), NID_countryName);
    id.issuer = desc.issuer;
    id.serial_number = desc.serial_hex;
    id.fingerprint = desc.fingerprint_sha256;
    id.not_after = format_time(desc.not_after);
    id.algorithm = std::string(to_string(token.algorithm));
    return id;
}

} // namespace cardbound::server

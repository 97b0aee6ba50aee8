#include "cardbound/crypto/cert_path.h"

#include "cardbound/crypto/certificate.h"

#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

namespace cardbound
{

namespace
{

int purpose_id(PathPurpose p)
{
    switch (p) {
    case PathPurpose::TlsServer: return X509_PURPOSE_SSL_SERVER;
    case PathPurpose::TlsClient: return X509_PURPOSE_SSL_CLIENT;
    case PathPurpose::OcspSigning: return X509_PURPOSE_OCSP_HELPER;
    }
    return X509_PURPOSE_SSL_CLIENT;
}

PathProblem problem_of(int err)
{
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return PathProblem::Expired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return PathProblem::NotYetValid;
    case X509_V_ERR_INVALID_PURPOSE: return PathProblem::WrongPurpose;
    case X509_V_ERR_CERT_REVOKED: return PathProblem::Revoked;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE: return PathProblem::RevocationUnknown;
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
    case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS: return PathProblem::WeakAlgorithm;
    default: return PathProblem::Untrusted;
    }
}

std::string subject_of(X509 *cert)
{
    return cert ? name_to_string(X509_get_subject_name(cert)) : "?";
}

} // namespace

std::string key_policy_problem(EVP_PKEY *key)
{
    if (!key)
        return "the key cannot be read";
    int id = EVP_PKEY_get_base_id(key);
    if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
        int bits = EVP_PKEY_get_bits(key);
        if (bits < 2048)
            return "an RSA key of " + std::to_string(bits) + " bits (2048 at least)";
        return {};
    }
    if (id == EVP_PKEY_EC) {
        std::string curve = curve_name(key);
        if (curve == "P-256" || curve == "P-384" || curve == "P-521")
            return {};
        return curve.empty() ? "an EC key without a named curve"
                             : "an EC key on " + curve + " (P-256, P-384 or P-521 only)";
    }
    const char *name = OBJ_nid2sn(id);
    return std::string("a ") + (name ? name : "unknown") + " key (RSA or EC only)";
}

std::string signature_policy_problem(X509 *cert)
{
    int md = NID_undef, pk = NID_undef;
    if (X509_get_signature_info(cert, &md, &pk, nullptr, nullptr) != 1)
        return "an unknown signature algorithm";
    if (pk != NID_rsaEncryption && pk != NID_rsassaPss && pk != NID_X9_62_id_ecPublicKey)
        return std::string("signed with ") + (OBJ_nid2sn(pk) ? OBJ_nid2sn(pk) : "an unknown") +
               " (RSA or ECDSA only)";
    if (md != NID_sha256 && md != NID_sha384 && md != NID_sha512)
        return std::string("signed with ") +
               (md != NID_undef && OBJ_nid2sn(md) ? OBJ_nid2sn(md) : "an unknown digest") +
               " (SHA-256, SHA-384 or SHA-512 only)";
    return {};
}

PathResult verify_path(X509_STORE *anchors, X509 *leaf, const std::vector<ossl::X509Ptr> &untrusted,
                       const PathPolicy &policy, STACK_OF(X509_CRL) * crls)
{
    PathResult result;
    auto fail = [&](PathProblem problem, std::string why) {
        result.problem = problem;
        result.why = std::move(why);
        return std::move(result);
    };
    ossl::X509Stack helpers(sk_X509_new_null());
    if (!helpers)
        return fail(PathProblem::Untrusted, "out of memory");
    for (const auto &c : untrusted)
        if (X509_up_ref(c.get()) != 1 || !sk_X509_push(helpers.get(), c.get()))
            return fail(PathProblem::Untrusted, "out of memory");
    ossl::X509StoreCtx ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), anchors, leaf, helpers.get()) != 1) {
        ERR_clear_error();
        return fail(PathProblem::Untrusted, "cannot set up the verification");
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_time(param, policy.at);
    // Security level 2 (112 bits) for every key and signature digest of the
    // path, as a floor under our own, narrower policy (checked below).
    X509_VERIFY_PARAM_set_auth_level(param, 2);
    unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN; // an intermediate may be the anchor
    if (policy.strict)
        flags |= X509_V_FLAG_X509_STRICT;
    if (policy.crls) {
        flags |= X509_V_FLAG_CRL_CHECK;
        X509_STORE_CTX_set0_crls(ctx.get(), crls);
    }
    X509_VERIFY_PARAM_set_flags(param, flags);
    X509_STORE_CTX_set_purpose(ctx.get(), purpose_id(policy.purpose));
    if (X509_verify_cert(ctx.get()) != 1) {
        int err = X509_STORE_CTX_get_error(ctx.get());
        int depth = X509_STORE_CTX_get_error_depth(ctx.get());
        std::string who = subject_of(X509_STORE_CTX_get_current_cert(ctx.get()));
        ERR_clear_error();
        return fail(problem_of(err), std::string(X509_verify_cert_error_string(err)) +
                                         " (certificate " + std::to_string(depth) + ": " + who +
                                         ")");
    }
    result.chain.reset(X509_STORE_CTX_get1_chain(ctx.get()));
    int n = sk_X509_num(result.chain.get());
    for (int i = 0; i < n; i++) {
        X509 *cert = sk_X509_value(result.chain.get(), i);
        if (auto why = key_policy_problem(X509_get0_pubkey(cert)); !why.empty())
            return fail(PathProblem::WeakAlgorithm, "certificate " + std::to_string(i) + " (" +
                                                        subject_of(cert) + ") has " + why);
        // The anchor's own signature proves nothing: it is trusted as
        // configured. Every other certificate's is checked.
        if (i == n - 1)
            break;
        if (auto why = signature_policy_problem(cert); !why.empty())
            return fail(PathProblem::WeakAlgorithm, "certificate " + std::to_string(i) + " (" +
                                                        subject_of(cert) + ") is " + why);
    }
    return result;
}

} // namespace cardbound

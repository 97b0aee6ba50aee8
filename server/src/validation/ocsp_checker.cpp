#include "validation/ocsp_checker.h"

#include "cardbound/crypto/certificate.h"
#include "validation/http_post.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <spdlog/spdlog.h>

namespace cardbound::server
{

namespace
{

using OcspRequest = std::unique_ptr<OCSP_REQUEST, ossl::Deleter<OCSP_REQUEST_free>>;
using OcspResponse = std::unique_ptr<OCSP_RESPONSE, ossl::Deleter<OCSP_RESPONSE_free>>;
using OcspBasic = std::unique_ptr<OCSP_BASICRESP, ossl::Deleter<OCSP_BASICRESP_free>>;
using OcspCertId = std::unique_ptr<OCSP_CERTID, ossl::Deleter<OCSP_CERTID_free>>;

[[noreturn]] void unknown(const std::string &why)
{
    throw ValidationError(ValidationCode::RevocationUnknown, "OCSP: " + why);
}

std::string responder_of(X509 *cert)
{
    STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert);
    std::string url =
        urls && sk_OPENSSL_STRING_num(urls) > 0 ? sk_OPENSSL_STRING_value(urls, 0) : "";
    X509_email_free(urls);
    return url;
}

} // namespace

OcspChecker::OcspChecker(OcspConfig config, std::vector<ossl::X509Ptr> trust_anchors)
    : config_(std::move(config)), anchors_(std::move(trust_anchors))
{
    if (!config_.transport) {
        auto timeout = config_.timeout;
        config_.transport = [timeout](const std::string &url, const std::string &body) {
            return http_post(url, "application/ocsp-request", body, timeout);
        };
    }
}

std::size_t OcspChecker::cache_size() const
{
    std::lock_guard lock(mutex_);
    return cache_.size();
}

void OcspChecker::check(X509 *certificate, X509 *issuer, std::time_t at)
{
    OcspCertId id(OCSP_cert_to_id(EVP_sha1(), certificate, issuer));
    if (!id)
        unknown("cannot name the certificate");
    unsigned char *der = nullptr;
    int len = i2d_OCSP_CERTID(id.get(), &der);
    std::string key(reinterpret_cast<char *>(der), len > 0 ? static_cast<std::size_t>(len) : 0);
    OPENSSL_free(der);
    {
        std::lock_guard lock(mutex_);
        auto it = cache_.find(key);
        if (it != cache_.end() && it->second.until > at) {
            if (it->second.revoked)
                throw ValidationError(ValidationCode::CertRevoked,
                                      "OCSP: the certificate is revoked");
            return;
        }
    }
    try {
        ask(certificate, issuer, id.get(), key, at);
    } catch (const ValidationError &e) {
        if (e.code == ValidationCode::RevocationUnknown && config_.soft_fail) {
            spdlog::warn("{} (soft-fail: accepted)", e.what());
            return;
        }
        throw;
    }
}

void OcspChecker::ask(X509 *certificate, X509 *issuer, OCSP_CERTID *wanted,
                      const std::string &cache_key, std::time_t at)
{
    std::string url =
        config_.responder_url.empty() ? responder_of(certificate) : config_.responder_url;
    if (url.empty())
        unknown("the certificate names no OCSP responder");

    OcspRequest req(OCSP_REQUEST_new());
    OCSP_CERTID *id = OCSP_CERTID_dup(wanted); // the request takes ownership
    if (!req || !id || !OCSP_request_add0_id(req.get(), id)) {
        OCSP_CERTID_free(id);
        unknown("cannot build the request");
    }
    OCSP_request_add1_nonce(req.get(), nullptr, -1);
    unsigned char *req_der = nullptr;
    int req_len = i2d_OCSP_REQUEST(req.get(), &req_der);
    std::string body(reinterpret_cast<char *>(req_der),
                     req_len > 0 ? static_cast<std::size_t>(req_len) : 0);
    OPENSSL_free(req_der);

    HttpResult http;
    queries_++;
    try {
        http = config_.transport(url, body);
    } catch (const std::exception &e) {
        unknown(std::string("responder unreachable: ") + e.what());
    }
    if (http.status != 200)
        unknown("responder answered HTTP " + std::to_string(http.status));

    const unsigned char *p = reinterpret_cast<const unsigned char *>(http.body.data());
    OcspResponse resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(http.body.size())));
    if (!resp)
        unknown("unreadable answer");
    if (OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
        unknown("the responder refused the request");
    OcspBasic basic(OCSP_response_get1_basic(resp.get()));
    if (!basic)
        unknown("no basic response");
    if (OCSP_check_nonce(req.get(), basic.get()) != 1)
        unknown("the answer does not carry our nonce");
    // The signer is the CA itself or a responder the CA delegated to (EKU
    // OCSPSigning, issued by the CA); its path must reach our anchors, at the
    // validation time (a store of our own for this answer: the time is part
    // of the store's parameters).
    ossl::X509Store store(X509_STORE_new());
    if (!store)
        unknown("out of memory");
    for (const auto &a : anchors_)
        X509_STORE_add_cert(store.get(), a.get());
    X509_VERIFY_PARAM *param = X509_STORE_get0_param(store.get());
    X509_VERIFY_PARAM_set_time(param, at);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    ossl::X509Stack issuer_stack(sk_X509_new_null());
    X509_up_ref(issuer);
    sk_X509_push(issuer_stack.get(), issuer);
    if (OCSP_basic_verify(basic.get(), issuer_stack.get(), store.get(), 0) != 1) {
        ERR_clear_error();
        unknown("the answer's signature does not verify");
    }
    int status = 0, reason = 0;
    ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
    if (OCSP_resp_find_status(basic.get(), wanted, &status, &reason, &revoked_at, &this_update,
                              &next_update) != 1)
        unknown("the answer is about another certificate");
    // Fresh at the validation time (OCSP_check_validity would use the wall
    // clock): issued by then, give or take the skew, and not past its
    // nextUpdate.
    auto issued = this_update ? asn1_time_to_time_t(this_update) : std::nullopt;
    auto next = next_update ? asn1_time_to_time_t(next_update) : std::nullopt;
    if (!issued || (next_update && !next))
        unknown("the answer's times cannot be read");
    if (*issued > at + config_.max_skew_seconds)
        unknown("the answer is from after the validation time");
    if (next && *next < at - config_.max_skew_seconds)
        unknown("the answer is out of date (past its nextUpdate)");
    if (status == V_OCSP_CERTSTATUS_UNKNOWN)
        unknown("the responder does not know the certificate");

    bool revoked = status == V_OCSP_CERTSTATUS_REVOKED;
    if (next_update) {
        auto until = asn1_time_to_time_t(next_update);
        if (until) {
            std::lock_guard lock(mutex_);
            cache_[cache_key] = Cached{revoked, *until};
        }
    }
    if (revoked)
        throw ValidationError(ValidationCode::CertRevoked, "OCSP: the certificate is revoked");
}

} // namespace cardbound::server

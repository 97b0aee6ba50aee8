#include "validation/ocsp_checker.h"

#include "cardbound/crypto/cert_path.h"
#include "cardbound/crypto/certificate.h"
#include "validation/http_post.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
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

OcspChecker::OcspChecker(OcspConfig config, std::shared_ptr<const TrustAnchors> anchors)
    : config_(std::move(config)), anchors_(std::move(anchors))
{
    if (!anchors_)
        throw std::invalid_argument("an OCSP checker needs trust anchors");
    if (!config_.transport) {
        auto timeout = config_.timeout;
        config_.transport = [timeout](const std::string &url, const std::string &body) {
            return http_post(url, "application/ocsp-request", body, timeout);
        };
    }
}

void OcspChecker::check_delegated(X509 *signer, X509 *issuer, std::time_t at) const
{
    // RFC 6960 §4.2.2.2: issued by the card's issuer, for OCSP signing, and
    // (through that issuer) on a path to our anchors at the validation time:
    // the same path function as the card's.
    std::uint32_t flags = X509_get_extension_flags(signer);
    if (X509_check_issued(issuer, signer) != X509_V_OK || !(flags & EXFLAG_XKUSAGE) ||
        !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))
        unknown("signed by neither the issuer nor a responder it delegated to");
    std::vector<ossl::X509Ptr> via;
    X509_up_ref(issuer);
    via.emplace_back(issuer);
    PathPolicy policy;
    policy.purpose = PathPurpose::OcspSigning;
    policy.at = at;
    PathResult path = verify_path(anchors_->store(), signer, via, policy);
    if (!path.ok())
        unknown("the responder's certificate: " + path.why);
    X509 *above = sk_X509_num(path.chain.get()) > 1 ? sk_X509_value(path.chain.get(), 1) : nullptr;
    if (!above || X509_cmp(above, issuer) != 0)
        unknown("the responder's certificate was not issued by the card's issuer");
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
        ask_once(certificate, issuer, id.get(), key, at);
    } catch (const ValidationError &e) {
        if (e.code == ValidationCode::RevocationUnknown && config_.soft_fail) {
            spdlog::warn("{} (soft-fail: accepted)", e.what());
            return;
        }
        throw;
    }
}

void OcspChecker::ask_once(X509 *certificate, X509 *issuer, OCSP_CERTID *wanted,
                           const std::string &cache_key, std::time_t at)
{
    std::promise<void> ours;
    std::shared_future<void> answer;
    bool asking = false;
    {
        std::lock_guard lock(mutex_);
        auto [it, first] = in_flight_.try_emplace(cache_key);
        if (first)
            it->second = ours.get_future().share();
        answer = it->second;
        asking = first;
    }
    if (asking) {
        // The transport's timeout bounds how long the others wait.
        try {
            ask(certificate, issuer, wanted, cache_key, at);
            ours.set_value();
        } catch (...) {
            ours.set_exception(std::current_exception());
        }
        std::lock_guard lock(mutex_);
        in_flight_.erase(cache_key);
    }
    answer.get(); // the answer's refusal, rethrown to each caller
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
    // Signed by the key of the certificate the answer names (in the answer,
    // or the issuer itself)...
    ossl::X509Stack issuer_stack(sk_X509_new_null());
    X509_up_ref(issuer);
    sk_X509_push(issuer_stack.get(), issuer);
    X509 *signer = nullptr;
    if (OCSP_basic_verify(basic.get(), issuer_stack.get(), nullptr, OCSP_NOVERIFY) != 1 ||
        OCSP_resp_get0_signer(basic.get(), &signer, issuer_stack.get()) != 1) {
        ERR_clear_error();
        unknown("the answer's signature does not verify");
    }
    // ...which is the card's issuer, or a responder it delegated to.
    if (X509_cmp(signer, issuer) != 0)
        check_delegated(signer, issuer, at);
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

// Revocation by OCSP (RFC 6960): asks the responder named in the
// certificate's AIA, or a designated one; sends a nonce and requires it back;
// checks the answer's signature (by the CA or a responder it delegated to,
// whose path the common path function checks up to our anchors) and its
// freshness, both at the validation time; caches good and revoked answers
// until their nextUpdate. One request is in flight per certificate: logins
// of the same card that arrive while it is asked wait for that one answer
// (a card logging in from many tabs at once costs the responder one query).
// Hard-fail by default: no usable answer means REVOCATION_UNKNOWN; soft-fail
// lets the certificate pass instead.
#pragma once

#include "validation/checks/revocation_check.h"
#include "validation/http_post.h"
#include "validation/trust_anchors.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <openssl/ocsp.h>

namespace cardbound::server
{

struct OcspConfig {
    std::string responder_url; // empty: the certificate's AIA OCSP address
    std::chrono::milliseconds timeout{5000};
    int max_skew_seconds = 300; // tolerated clock difference on thisUpdate/nextUpdate
    bool soft_fail = false;
    // How a request reaches the responder: an HTTP POST by default; tests
    // answer in-process. Throws when the responder cannot be reached.
    std::function<HttpResult(const std::string &url, const std::string &body)> transport;
};

class OcspChecker : public RevocationChecker
{
  public:
    // `anchors` end the path of a delegated responder's certificate.
    OcspChecker(OcspConfig config, std::shared_ptr<const TrustAnchors> anchors);
    // `issuer`: the certificate's issuer, from a path already verified.
    void check(X509 *certificate, X509 *issuer, std::time_t at) override;

    std::size_t cache_size() const;
    std::size_t queries() const { return queries_; } // answers fetched over the network

  private:
    // The answer for `cache_key`: from the request in flight for it if there
    // is one, else from ask(), which the waiting callers then share.
    void ask_once(X509 *certificate, X509 *issuer, OCSP_CERTID *wanted,
                  const std::string &cache_key, std::time_t at);
    void ask(X509 *certificate, X509 *issuer, OCSP_CERTID *wanted, const std::string &cache_key,
             std::time_t at);
    void check_delegated(X509 *signer, X509 *issuer, std::time_t at) const;

    struct Cached {
        bool revoked;
        std::time_t until;
    };
    OcspConfig config_;
    std::shared_ptr<const TrustAnchors> anchors_;
    mutable std::mutex mutex_;
    std::map<std::string, Cached> cache_;
    std::map<std::string, std::shared_future<void>> in_flight_;
    std::atomic<std::size_t> queries_{0};
};

} // namespace cardbound::server

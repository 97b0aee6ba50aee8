// The relying party's trust anchors: the CA certificates that issue card
// certificates or stand above their issuers, read once at start (--trust).
// Each must be a CA certificate (basicConstraints CA:TRUE, keyCertSign when
// it has a keyUsage) with a key the algorithms policy allows; anything else
// is refused with the file and the certificate named, never silently used.
// After construction the store is only read, so one serves every thread.
#pragma once

#include "cardbound/crypto/ossl.h"

#include <string>
#include <vector>

namespace cardbound::server
{

class TrustAnchors
{
  public:
    // Throws std::runtime_error naming `source` and the certificate at fault.
    TrustAnchors(std::vector<ossl::X509Ptr> certificates, const std::string &source);
    // Every certificate of every PEM file; throws std::runtime_error.
    static TrustAnchors from_files(const std::vector<std::string> &paths);

    X509_STORE *store() const { return store_.get(); }
    const std::vector<ossl::X509Ptr> &certificates() const { return certificates_; }

  private:
    std::vector<ossl::X509Ptr> certificates_;
    ossl::X509Store store_;
};

// Why `cert` cannot be a trust anchor, or an empty string.
std::string anchor_problem(X509 *cert);

} // namespace cardbound::server

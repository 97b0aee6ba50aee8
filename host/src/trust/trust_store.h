// Which servers the host believes: certificates that chain to the system CA
// store or to configured CA files (an intermediate may be an anchor), valid
// for TLS servers, naming the origin's host, and matching the origin's pins
// when it has any.
#pragma once

#include "cardbound/crypto/ossl.h"
#include "cardbound/protocol/origin.h"

#include <ctime>
#include <map>
#include <string>
#include <vector>

namespace cardbound::host
{

class TrustStore
{
  public:
    // Throws std::runtime_error when a CA file cannot be read.
    TrustStore(bool use_system_store, const std::vector<std::string> &ca_files,
               std::map<std::string, std::vector<std::string>> pins);

    // Each returns an empty string on success, or why the check failed.
    std::string verify_chain(X509 *leaf, const std::vector<ossl::X509Ptr> &intermediates,
                             std::time_t at) const;
    static std::string verify_name(X509 *leaf, const Origin &origin);
    std::string verify_pins(X509 *leaf, const Origin &origin) const;

  private:
    ossl::X509Store store_;
    std::map<std::string, std::vector<std::string>> pins_;
};

} // namespace cardbound::host

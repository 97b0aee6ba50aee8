#include "trust/trust_store.h"

#include "cardbound/crypto/cert_path.h"
#include "cardbound/crypto/certificate.h"

#include <algorithm>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdexcept>

namespace cardbound::host
{

TrustStore::TrustStore(bool use_system_store, const std::vector<std::string> &ca_files,
                       std::map<std::string, std::vector<std::string>> pins)
    : store_(X509_STORE_new()), pins_(std::move(pins))
{
    if (!store_)
        throw std::runtime_error("out of memory");
    if (use_system_store && X509_STORE_set_default_paths(store_.get()) != 1)
        ERR_clear_error(); // no system store: only configured CAs count
    for (const auto &path : ca_files)
        for (auto &cert : load_pem_certificates(path))
            if (X509_STORE_add_cert(store_.get(), cert.get()) != 1)
                ERR_clear_error(); // the same CA twice
}

std::string TrustStore::verify_chain(X509 *leaf, const std::vector<ossl::X509Ptr> &intermediates,
                                     std::time_t at) const
{
    // The path rules the relying party applies to cards (common/), for a TLS
    // server. Not OpenSSL's strict RFC 5280 mode: sites' certificates from
    // private CAs often lack key identifiers, which that mode refuses, and
    // they are checked by browsers without it; the host's own checks (name,
    // pins, signature, algorithms) stay.
    PathPolicy policy;
    policy.purpose = PathPurpose::TlsServer;
    policy.at = at;
    policy.strict = false;
    PathResult r = verify_path(store_.get(), leaf, intermediates, policy);
    return r.ok() ? std::string() : r.why;
}

std::string TrustStore::verify_name(X509 *leaf, const Origin &origin)
{
    std::string host = origin.host_for_certificate();
    int ok = origin.is_ip_literal() ? X509_check_ip_asc(leaf, host.c_str(), 0)
                                    : X509_check_host(leaf, host.c_str(), host.size(),
                                                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
                                                          X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
                                                      nullptr);
    if (ok == 1)
        return {};
    return "the server certificate does not name " + host;
}

std::string TrustStore::verify_pins(X509 *leaf, const Origin &origin) const
{
    auto it = pins_.find(origin.serialize());
    if (it == pins_.end())
        return {};
    std::string fp = sha256_fingerprint(leaf);
    if (std::find(it->second.begin(), it->second.end(), fp) != it->second.end())
        return {};
    return "the server certificate is not pinned for " + origin.serialize();
}

} // namespace cardbound::host

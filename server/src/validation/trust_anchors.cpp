#include "validation/trust_anchors.h"

#include "cardbound/crypto/cert_path.h"
#include "cardbound/crypto/certificate.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdexcept>

namespace cardbound::server
{

std::string anchor_problem(X509 *cert)
{
    std::uint32_t flags = X509_get_extension_flags(cert);
    if (!(flags & EXFLAG_BCONS) || !(flags & EXFLAG_CA))
        return "is not a CA certificate (no basicConstraints CA:TRUE)";
    if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(cert) & KU_KEY_CERT_SIGN))
        return "may not sign certificates (keyUsage without keyCertSign)";
    if (auto why = key_policy_problem(X509_get0_pubkey(cert)); !why.empty())
        return "has " + why;
    return {};
}

namespace
{

// Refuses a certificate that cannot be an anchor, naming where it came from.
void check_anchor(X509 *cert, const std::string &source)
{
    if (auto why = anchor_problem(cert); !why.empty())
        throw std::runtime_error(source + ": " + name_to_string(X509_get_subject_name(cert)) + " " +
                                 why + "; it cannot be a trust anchor");
}

} // namespace

TrustAnchors::TrustAnchors(std::vector<ossl::X509Ptr> certificates, const std::string &source)
    : certificates_(std::move(certificates)), store_(X509_STORE_new())
{
    if (!store_)
        throw std::runtime_error("out of memory");
    if (certificates_.empty())
        throw std::runtime_error(source + " holds no certificate");
    for (const auto &c : certificates_) {
        check_anchor(c.get(), source);
        if (X509_STORE_add_cert(store_.get(), c.get()) != 1)
            ERR_clear_error(); // the same CA twice
    }
}

TrustAnchors TrustAnchors::from_files(const std::vector<std::string> &paths)
{
    std::vector<ossl::X509Ptr> all;
    for (const auto &path : paths)
        for (auto &cert : load_pem_certificates(path)) {
            check_anchor(cert.get(), path); // named by its file
            all.push_back(std::move(cert));
        }
    return TrustAnchors(std::move(all), "--trust");
}

} // namespace cardbound::server

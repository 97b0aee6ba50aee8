#include "validation/validator_setup.h"

#include "cardbound/crypto/certificate.h"
#include "validation/ocsp_checker.h"

namespace cardbound::server
{

bool is_valid_ocsp_mode(const std::string &mode)
{
    return mode == "aia" || mode == "off" || mode.starts_with("http://");
}

ValidatorConfig make_validator_config(const ValidatorOptions &options)
{
    if (!is_valid_ocsp_mode(options.ocsp))
        throw std::runtime_error("--ocsp takes aia, off or an http:// URL");
    ValidatorConfig config;
    // Read and checked once, here: every anchor must be a CA certificate.
    auto anchors = std::make_shared<const TrustAnchors>(TrustAnchors::from_files(options.trust));
    for (const auto &location : options.crls)
        config.crls.push_back(std::make_shared<CrlSource>(location));
    if (options.ocsp != "off") {
        OcspConfig oc;
        oc.responder_url = options.ocsp == "aia" ? "" : options.ocsp;
        oc.soft_fail = options.soft_fail;
        config.revocation = std::make_shared<OcspChecker>(oc, anchors);
    }
    config.anchors = std::move(anchors);
    return config;
}

} // namespace cardbound::server

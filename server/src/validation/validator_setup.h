// Builds a validator configuration from the options both command-line tools
// take (--trust, --crl, --ocsp, --soft-fail), so they mean the same in both.
#pragma once

#include "validation/token_validator.h"

#include <string>
#include <vector>

namespace cardbound::server
{

struct ValidatorOptions {
    std::vector<std::string> trust; // PEM files of trust anchors
    std::vector<std::string> crls;  // CRL files or http:// URLs
    std::string ocsp = "aia";       // "aia", "off" or a responder's http:// URL
    bool soft_fail = false;
};

bool is_valid_ocsp_mode(const std::string &mode);

// Loads and checks the anchors (each must be a CA certificate), reads the
// CRLs and sets up OCSP. Throws std::runtime_error naming what is wrong.
ValidatorConfig make_validator_config(const ValidatorOptions &options);

} // namespace cardbound::server

// A small PKI made in memory for unit tests: keys and certificates built with
// OpenSSL, so the tests need no files and no bench.
#pragma once

#include "cardbound/crypto/ossl.h"

#include <ctime>
#include <string>
#include <vector>

namespace cardbound::test
{

ossl::Pkey make_ec_key(const char *curve = "P-256");
ossl::Pkey make_rsa_key(int bits = 2048);

struct CertSpec {
    std::string common_name;
    std::vector<std::string> dns_names; // subjectAltName DNS entries
    bool is_ca = false;
    std::string eku = "serverAuth"; // for leaf certificates; "-" for none
    std::time_t not_before = std::time(nullptr) - 3600;
    std::time_t not_after = std::time(nullptr) + 86400;
    // For tests of the validation policy; empty means the usual value, "-"
    // leaves the extension out (OpenSSL's configuration syntax otherwise).
    std::string basic_constraints = ""; // usual: critical,CA:TRUE or critical,CA:FALSE
    std::string key_usage = "";         // usual: keyCertSign,cRLSign or digitalSignature (critical)
    std::string name_constraints = "";  // usual: none
    const EVP_MD *digest = nullptr;     // usual: SHA-256
    bool key_ids = true;                // subjectKeyIdentifier, authorityKeyIdentifier
};

// Issues a certificate for `key`; self-signed when issuer is null.
ossl::X509Ptr make_certificate(const CertSpec &spec, EVP_PKEY *key, X509 *issuer,
                               EVP_PKEY *issuer_key);

// A CRL by `issuer` listing the serial numbers of `revoked`, current from
// last_update to next_update, written as PEM to a fresh temporary file
// whose path it returns.
std::string write_crl_file(X509 *issuer, EVP_PKEY *issuer_key, const std::vector<X509 *> &revoked,
                           std::time_t last_update, std::time_t next_update);

// Writes PEM certificates to a fresh temporary file and returns its path.
std::string write_pem_file(const std::vector<X509 *> &certs);

} // namespace cardbound::test

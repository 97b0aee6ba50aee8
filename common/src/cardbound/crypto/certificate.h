// Reading X.509 certificates: parsing from DER or PEM and describing one in
// the terms the protocol and the user interface need. OpenSSL does the work.
#pragma once

#include "cardbound/crypto/encoding.h"
#include "cardbound/crypto/ossl.h"

#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace cardbound
{

// Parses exactly one DER certificate (no trailing bytes). Null on failure.
ossl::X509Ptr parse_der_certificate(std::span<const std::uint8_t> der);
// Parses every certificate of a PEM file. Throws with the path on failure.
std::vector<ossl::X509Ptr> load_pem_certificates(const std::string &path);

Bytes certificate_der(X509 *cert);
std::string sha256_fingerprint(X509 *cert); // lowercase hex of SHA-256(DER)
// An EC key's named curve: "P-256", "P-384", "P-521", another curve's
// OpenSSL name, or empty (not EC, or explicit parameters).
std::string curve_name(EVP_PKEY *key);

// The first entry of `nid` (NID_givenName, NID_serialNumber, ...) in a name,
// as UTF-8; empty when there is none.
std::string name_entry_text(const X509_NAME *name, int nid);
// "C=EE, O=Example, CN=Name" (RFC 2253 order reversed as humans read it).
std::string name_to_string(const X509_NAME *name);
// The holder's display name: "GIVENNAME SURNAME" when both are present,
// else the common name, else the whole subject.
std::string holder_name(X509 *cert);

std::string format_time(std::time_t t);                       // 2026-11-27T21:00:00Z
std::optional<std::time_t> parse_time(std::string_view text); // exactly that form
std::optional<std::time_t> asn1_time_to_time_t(const ASN1_TIME *t);

struct CertificateDescription {
    std::string subject;
    std::string issuer;
    std::string holder;
    std::string serial_hex;
    std::time_t not_before = 0;
    std::time_t not_after = 0;
    std::string key_type; // "RSA" or "EC" (or the OpenSSL name of another type)
    int key_bits = 0;
    std::string curve;                           // "P-256", "P-384", "P-521" or empty
    std::vector<std::string> key_usage;          // "digitalSignature", ...
    std::vector<std::string> extended_key_usage; // "clientAuth", ...
    std::string fingerprint_sha256;
};

CertificateDescription describe(X509 *cert);

// What a certificate on a card is for, by its extensions. Logging in:
// keyUsage digitalSignature (or no keyUsage) and, when it names purposes,
// extendedKeyUsage clientAuth. Signing documents: keyUsage nonRepudiation
// (contentCommitment), which no login certificate needs. A card's login
// certificate and its signing certificate usually sit behind different PINs,
// so the picker of each shows only its own kind.
struct CertificateUse {
    bool login = false;
    bool signing = false;
};
CertificateUse certificate_use(X509 *cert);

} // namespace cardbound

// Certificate paths, for both ends of Cardbound: the host checks a server's
// certificate (a TLS server), the relying party a card's (a TLS client), and
// the relying party an OCSP responder's. One function builds and checks the
// path with OpenSSL, the purpose and the strictness being the parameters:
//
//  - the path ends at a configured anchor; an intermediate CA may be one
//    (X509_V_FLAG_PARTIAL_CHAIN);
//  - every certificate valid at the given time (not the wall clock);
//  - every CA's basicConstraints, pathLen and name constraints (OpenSSL
//    enforces them on every path it builds);
//  - the purpose: keyUsage and extendedKeyUsage fit a TLS server, a TLS
//    client or an OCSP signer (an absent extendedKeyUsage allows all);
//  - OpenSSL's strict RFC 5280 checks when asked (X509_V_FLAG_X509_STRICT);
//  - the algorithms policy below, for every key and every signature;
//  - CRLs, when asked, for the leaf (a missing or stale CRL fails).
#pragma once

#include "cardbound/crypto/ossl.h"

#include <ctime>
#include <string>
#include <vector>

namespace cardbound
{

// Keys and signatures we accept anywhere in a path: RSA of at least 2048
// bits, EC on P-256, P-384 or P-521 (named curves only), and signatures
// made with SHA-256, SHA-384 or SHA-512 (RSA PKCS#1 v1.5, RSA-PSS, ECDSA).
// Each returns an empty string when the key or signature is fine, else why.
std::string key_policy_problem(EVP_PKEY *key);
std::string signature_policy_problem(X509 *cert);

enum class PathPurpose { TlsServer, TlsClient, OcspSigning };

struct PathPolicy {
    PathPurpose purpose = PathPurpose::TlsClient;
    std::time_t at = 0; // the validation time
    bool strict = true; // X509_V_FLAG_X509_STRICT
    bool crls = false;  // check the leaf against `crls` (a missing or stale CRL fails)
};

// Why a path was refused, in the terms the callers answer with.
enum class PathProblem {
    None,
    Untrusted,         // no path to an anchor, a broken signature, a constraint
    Expired,           // a certificate of the path has expired
    NotYetValid,       // a certificate of the path is not valid yet
    WrongPurpose,      // keyUsage / extendedKeyUsage do not fit the purpose
    WeakAlgorithm,     // a key or signature outside the algorithms policy
    Revoked,           // a CRL lists a certificate of the path
    RevocationUnknown, // no current, valid CRL for a certificate of the path
};

struct PathResult {
    PathProblem problem = PathProblem::None;
    std::string why;       // for logs and people
    ossl::X509Stack chain; // leaf first, anchor last (when built)
    bool ok() const { return problem == PathProblem::None; }
};

// Builds and checks the path from `leaf` through `untrusted` certificates to
// an anchor of `anchors`. `crls` (may be null) is used when policy.crls.
// `anchors` is only read: one store serves every thread.
PathResult verify_path(X509_STORE *anchors, X509 *leaf, const std::vector<ossl::X509Ptr> &untrusted,
                       const PathPolicy &policy, STACK_OF(X509_CRL) *crls = nullptr);

} // namespace cardbound

// Signature algorithms by their JWS names (RFC 7518), as Web eID uses them,
// and the conversions between OpenSSL's DER ECDSA signatures and the raw
// r||s form that goes on the wire.
#pragma once

#include "cardbound/crypto/encoding.h"
#include "cardbound/crypto/ossl.h"

#include <optional>
#include <string>
#include <string_view>

namespace cardbound
{

enum class Algorithm { ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512 };
enum class KeyKind { RSA, EC };

std::string_view to_string(Algorithm alg);
std::optional<Algorithm> algorithm_from_string(std::string_view name);
const EVP_MD *digest_of(Algorithm alg);
KeyKind key_kind_of(Algorithm alg);

// The same kind of signature (ECDSA, RSA PKCS#1 v1.5, RSA-PSS) over another
// hash: ES256 with SHA-384 is ES384. A card's key signs a document's hash
// with the hash function the site chose, not the one its logins use.
Algorithm with_hash(Algorithm alg, const EVP_MD *md);

// A hash function by its Web eID name ("SHA-256", "SHA-384", "SHA-512"), or
// nullptr for any other name; and the name of an algorithm's hash.
const EVP_MD *hash_function_named(std::string_view name);
std::string_view hash_function_name(Algorithm alg);
// Web eID's words for an algorithm: its cryptoAlgorithm ("ECC", "RSA") and
// paddingScheme ("NONE", "PKCS1.5", "PSS").
std::string_view crypto_algorithm_name(Algorithm alg);
std::string_view padding_scheme_name(Algorithm alg);

// Sets a signing or verifying context up for the algorithm over a digest
// (false when OpenSSL refuses):
// RSA padding (PKCS#1 v1.5, or PSS with a salt as long as the hash) and the
// hash that the digest came from (RSA puts it in the DigestInfo).
bool set_signature_parameters(EVP_PKEY_CTX *ctx, Algorithm alg);

// Message digest with the hash named by the algorithm.
Bytes digest(const EVP_MD *md, std::span<const std::uint8_t> data);

// The algorithm a key signs with by default: ECDSA by curve (P-256 ES256,
// P-384 ES384, P-521 ES512), RSA with RS256. Empty for other keys.
std::optional<Algorithm> default_algorithm(EVP_PKEY *key);

// Size in bytes of one of r, s for an EC key (0 for other keys).
std::size_t ec_field_size(EVP_PKEY *key);

// DER ECDSA-Sig-Value <-> fixed-width r||s. Empty on malformed input.
std::optional<Bytes> ecdsa_der_to_raw(std::span<const std::uint8_t> der, std::size_t field_size);
std::optional<Bytes> ecdsa_raw_to_der(std::span<const std::uint8_t> raw);

// Verifies a signature made with `alg` over an already computed digest (the
// signer signed the digest; RSA signatures carry it in a DigestInfo, PSS uses
// a salt as long as the digest). ECDSA signatures are raw r||s.
bool verify_digest(EVP_PKEY *key, Algorithm alg, std::span<const std::uint8_t> digest,
                   std::span<const std::uint8_t> signature);

// Verifies a signature over a message (hashes it with the algorithm's hash).
bool verify_message(EVP_PKEY *key, Algorithm alg, std::span<const std::uint8_t> message,
                    std::span<const std::uint8_t> signature);

// Signs a message with a key held in memory (the server's key; tests).
// ECDSA signatures come out raw r||s. Throws on failure.
Bytes sign_message(EVP_PKEY *key, Algorithm alg, std::span<const std::uint8_t> message);
// Signs an already computed digest, as a card does. Raw r||s for ECDSA.
Bytes sign_digest(EVP_PKEY *key, Algorithm alg, std::span<const std::uint8_t> digest);

} // namespace cardbound

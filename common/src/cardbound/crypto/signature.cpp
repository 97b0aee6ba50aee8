#include "cardbound/crypto/signature.h"

#include <array>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdexcept>

namespace cardbound
{

namespace
{

struct AlgorithmInfo {
    Algorithm alg;
    std::string_view name;
    KeyKind kind;
    const EVP_MD *(*md)();
    bool pss;
};

constexpr std::array<AlgorithmInfo, 9> kAlgorithms{{
    {Algorithm::ES256, "ES256", KeyKind::EC, EVP_sha256, false},
    {Algorithm::ES384, "ES384", KeyKind::EC, EVP_sha384, false},
    {Algorithm::ES512, "ES512", KeyKind::EC, EVP_sha512, false},
    {Algorithm::RS256, "RS256", KeyKind::RSA, EVP_sha256, false},
    {Algorithm::RS384, "RS384", KeyKind::RSA, EVP_sha384, false},
    {Algorithm::RS512, "RS512", KeyKind::RSA, EVP_sha512, false},
    {Algorithm::PS256, "PS256", KeyKind::RSA, EVP_sha256, true},
    {Algorithm::PS384, "PS384", KeyKind::RSA, EVP_sha384, true},
    {Algorithm::PS512, "PS512", KeyKind::RSA, EVP_sha512, true},
}};

const AlgorithmInfo &info(Algorithm alg)
{
    for (const auto &i : kAlgorithms)
        if (i.alg == alg)
            return i;
    throw std::logic_error("unknown algorithm");
}

// The key type must match the algorithm: an RSA key never verifies "ES256".
bool key_matches(EVP_PKEY *key, Algorithm alg)
{
    int id = EVP_PKEY_get_base_id(key);
    return info(alg).kind == KeyKind::EC ? id == EVP_PKEY_EC : id == EVP_PKEY_RSA;
}

} // namespace

bool set_signature_parameters(EVP_PKEY_CTX *ctx, Algorithm alg)
{
    if (info(alg).kind == KeyKind::RSA) {
        bool ok = info(alg).pss
                      ? EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                            EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1
                      : EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
        if (!ok)
            return false;
    }
    return EVP_PKEY_CTX_set_signature_md(ctx, digest_of(alg)) == 1;
}

std::string_view to_string(Algorithm alg)
{
    return info(alg).name;
}

std::optional<Algorithm> algorithm_from_string(std::string_view name)
{
    for (const auto &i : kAlgorithms)
        if (i.name == name)
            return i.alg;
    return std::nullopt;
}

Algorithm with_hash(Algorithm alg, const EVP_MD *md)
{
    const AlgorithmInfo &from = info(alg);
    for (const auto &i : kAlgorithms)
        if (i.kind == from.kind && i.pss == from.pss &&
            EVP_MD_get_type(i.md()) == EVP_MD_get_type(md))
            return i.alg;
    throw std::invalid_argument("no such algorithm for that hash");
}

namespace
{

struct HashFunction {
    std::string_view name;
    const EVP_MD *(*md)();
};
constexpr std::array<HashFunction, 3> kHashFunctions{{
    {"SHA-256", EVP_sha256},
    {"SHA-384", EVP_sha384},
    {"SHA-512", EVP_sha512},
}};

} // namespace

const EVP_MD *hash_function_named(std::string_view name)
{
    for (const auto &h : kHashFunctions)
        if (h.name == name)
            return h.md();
    return nullptr;
}

std::string_view hash_function_name(Algorithm alg)
{
    int type = EVP_MD_get_type(digest_of(alg));
    for (const auto &h : kHashFunctions)
        if (EVP_MD_get_type(h.md()) == type)
            return h.name;
    throw std::logic_error("an algorithm without a named hash");
}

std::string_view crypto_algorithm_name(Algorithm alg)
{
    return info(alg).kind == KeyKind::EC ? "ECC" : "RSA";
}

std::string_view padding_scheme_name(Algorithm alg)
{
    const AlgorithmInfo &i = info(alg);
    return i.kind == KeyKind::EC ? "NONE" : i.pss ? "PSS" : "PKCS1.5";
}

const EVP_MD *digest_of(Algorithm alg)
{
    return info(alg).md();
}
KeyKind key_kind_of(Algorithm alg)
{
    return info(alg).kind;
}

Bytes digest(const EVP_MD *md, std::span<const std::uint8_t> data)
{
    Bytes out(EVP_MD_get_size(md));
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1)
        throw std::runtime_error("digest failed: " + ossl::last_error());
    out.resize(len);
    return out;
}

std::size_t ec_field_size(EVP_PKEY *key)
{
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        return 0;
    return (static_cast<std::size_t>(EVP_PKEY_get_bits(key)) + 7) / 8;
}

std::optional<Algorithm> default_algorithm(EVP_PKEY *key)
{
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return Algorithm::RS256;
    case EVP_PKEY_EC:
        switch (EVP_PKEY_get_bits(key)) {
        case 256: return Algorithm::ES256;
        case 384: return Algorithm::ES384;
        case 521: return Algorithm::ES512;
        default: return std::nullopt;
        }
    default: return std::nullopt;
    }
}

std::optional<Bytes> ecdsa_der_to_raw(std::span<const std::uint8_t> der, std::size_t field_size)
{
    const unsigned char *p = der.data();
    ossl::EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!sig || p != der.data() + der.size() || field_size == 0)
        return std::nullopt;
    const BIGNUM *r = nullptr, *s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    Bytes raw(field_size * 2);
    if (BN_bn2binpad(r, raw.data(), static_cast<int>(field_size)) < 0 ||
        BN_bn2binpad(s, raw.data() + field_size, static_cast<int>(field_size)) < 0)
        return std::nullopt;
    return raw;
}

std::optional<Bytes> ecdsa_raw_to_der(std::span<const std::uint8_t> raw)
{
    if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 2 * 66)
        return std::nullopt;
    std::size_t half = raw.size() / 2;
    ossl::Bignum r(BN_bin2bn(raw.data(), static_cast<int>(half), nullptr));
    ossl::Bignum s(BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr));
    ossl::EcdsaSig sig(ECDSA_SIG_new());
    if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1)
        return std::nullopt;
    r.release(); // now owned by sig
    s.release();
    unsigned char *der = nullptr;
    int len = i2d_ECDSA_SIG(sig.get(), &der);
    if (len <= 0)
        return std::nullopt;
    Bytes out(der, der + len);
    OPENSSL_free(der);
    return out;
}

bool verify_digest(EVP_PKEY *key, Algorithm alg, std::span<const std::uint8_t> digest,
                   std::span<const std::uint8_t> signature)
{
    if (!key_matches(key, alg) ||
        digest.size() != static_cast<std::size_t>(EVP_MD_get_size(digest_of(alg))))
        return false;
    Bytes der;
    if (info(alg).kind == KeyKind::EC) {
        // A raw signature has exactly two field-sized halves for this curve.
        if (signature.size() != 2 * ec_field_size(key))
            return false;
        auto converted = ecdsa_raw_to_der(signature);
        if (!converted)
            return false;
        der = std::move(*converted);
        signature = der;
    }
    ossl::PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1)
        return false;
    if (!set_signature_parameters(ctx.get(), alg))
        return false;
    bool ok = EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(),
                              digest.size()) == 1;
    ERR_clear_error();
    return ok;
}

bool verify_message(EVP_PKEY *key, Algorithm alg, std::span<const std::uint8_t> message,
                    std::span<const std::uint8_t> signature)
{
    return verify_digest(key, alg, digest(digest_of(alg), message), signature);
}

Bytes sign_message(EVP_PKEY *key, Algorithm alg, std::span<const std::uint8_t> message)
{
    return sign_digest(key, alg, digest(digest_of(alg), message));
}

Bytes sign_digest(EVP_PKEY *key, Algorithm alg, std::span<const std::uint8_t> hash)
{
    if (!key_matches(key, alg))
        throw std::invalid_argument("the key cannot sign " + std::string(to_string(alg)));
    ossl::PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1)
        throw std::runtime_error("sign init failed: " + ossl::last_error());
    if (!set_signature_parameters(ctx.get(), alg))
        throw std::runtime_error("cannot set the signature parameters: " + ossl::last_error());
    std::size_t len = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &len, hash.data(), hash.size()) != 1)
        throw std::runtime_error("sign failed: " + ossl::last_error());
    Bytes sig(len);
    if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, hash.data(), hash.size()) != 1)
        throw std::runtime_error("sign failed: " + ossl::last_error());
    sig.resize(len);
    if (info(alg).kind == KeyKind::EC) {
        auto raw = ecdsa_der_to_raw(sig, ec_field_size(key));
        if (!raw)
            throw std::runtime_error("ECDSA signature conversion failed");
        return *raw;
    }
    return sig;
}

} // namespace cardbound

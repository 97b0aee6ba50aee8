#include "cardbound/crypto/certificate.h"
#include "cardbound/crypto/signature.h"
#include "cardbound/protocol/messages.h"
#include "test_pki.h"

#include <doctest/doctest.h>
#include <fstream>
#include <sstream>

using namespace cardbound;

TEST_CASE("ECDSA signatures convert between DER and fixed-width r||s")
{
    for (auto [curve, field] : {std::pair{"P-256", 32u}, {"P-384", 48u}, {"P-521", 66u}}) {
        CAPTURE(curve);
        auto key = test::make_ec_key(curve);
        Bytes message = {1, 2, 3};
        auto alg = *default_algorithm(key.get());
        Bytes raw = sign_message(key.get(), alg, message);
        CHECK(raw.size() == 2 * field);
        auto der = ecdsa_raw_to_der(raw);
        REQUIRE(der);
        auto back = ecdsa_der_to_raw(*der, field);
        REQUIRE(back);
        CHECK(*back == raw);
        CHECK(verify_message(key.get(), alg, message, raw));
    }
}

TEST_CASE("the default algorithm follows the key")
{
    CHECK(*default_algorithm(test::make_ec_key("P-256").get()) == Algorithm::ES256);
    CHECK(*default_algorithm(test::make_ec_key("P-384").get()) == Algorithm::ES384);
    CHECK(*default_algorithm(test::make_ec_key("P-521").get()) == Algorithm::ES512);
    CHECK(*default_algorithm(test::make_rsa_key().get()) == Algorithm::RS256);
}

TEST_CASE("verification refuses wrong lengths, wrong keys and the wrong algorithm")
{
    auto key = test::make_ec_key("P-256");
    Bytes message = {9, 9, 9};
    Bytes sig = sign_message(key.get(), Algorithm::ES256, message);
    Bytes shorter(sig.begin(), sig.end() - 1);
    CHECK_FALSE(verify_message(key.get(), Algorithm::ES256, message, shorter));
    Bytes flipped = sig;
    flipped[5] ^= 1;
    CHECK_FALSE(verify_message(key.get(), Algorithm::ES256, message, flipped));
    CHECK_FALSE(verify_message(key.get(), Algorithm::RS256, message, sig));
    CHECK_FALSE(verify_message(test::make_ec_key("P-256").get(), Algorithm::ES256, message, sig));

    auto rsa = test::make_rsa_key();
    for (auto alg : {Algorithm::RS256, Algorithm::RS384, Algorithm::PS256, Algorithm::PS512}) {
        Bytes s = sign_message(rsa.get(), alg, message);
        CHECK(verify_message(rsa.get(), alg, message, s));
        CHECK_FALSE(verify_message(
            rsa.get(), alg == Algorithm::RS256 ? Algorithm::PS256 : Algorithm::RS256, message, s));
    }
}

TEST_CASE("the login digest is Web eID's hash of hashes: a real Web eID token verifies")
{
    std::ifstream in(CARDBOUND_SHARED_DIR "/vectors/web-eid/valid-es384.json");
    REQUIRE_MESSAGE(in.good(), "the shared Web eID vector is missing");
    std::stringstream text;
    text << in.rdbuf();
    auto vector = nlohmann::json::parse(text.str());
    AuthToken token = AuthToken::from_json(vector["token"]);
    CHECK(token.algorithm == Algorithm::ES384);
    auto cert = parse_der_certificate(token.certificate);
    REQUIRE(cert);
    std::string origin = vector["origin"], nonce = vector["challengeNonce"];
    Bytes d = login_digest(token.algorithm, origin, nonce);
    CHECK(verify_digest(X509_get0_pubkey(cert.get()), token.algorithm, d, token.signature));
    // Any other origin or nonce gives another digest.
    CHECK_FALSE(verify_digest(X509_get0_pubkey(cert.get()), token.algorithm,
                              login_digest(token.algorithm, "https://ria.ee.evil", nonce),
                              token.signature));
    CHECK_FALSE(verify_digest(X509_get0_pubkey(cert.get()), token.algorithm,
                              login_digest(token.algorithm, origin, nonce + "x"), token.signature));
}

TEST_CASE("presence digests are apart from login digests")
{
    std::string origin = "https://example.org", nonce = base64_encode(random_bytes(32));
    for (auto alg : {Algorithm::ES256, Algorithm::ES384, Algorithm::RS256}) {
        CHECK(presence_digest(alg, origin, "AAAAAAAAAAAAAAAAAAAAAA", nonce) !=
              login_digest(alg, origin, nonce));
        CHECK(presence_digest(alg, origin, "AAAAAAAAAAAAAAAAAAAAAA", nonce) !=
              presence_digest(alg, origin, "BAAAAAAAAAAAAAAAAAAAAA", nonce));
    }
}

TEST_CASE("base64 decoding is strict")
{
    CHECK(base64_decode("AQID") == Bytes{1, 2, 3});
    CHECK(base64_decode("AQI=") == Bytes{1, 2});
    CHECK_FALSE(base64_decode("AQI"));   // missing padding
    CHECK_FALSE(base64_decode("AQJ="));  // non-canonical trailing bits
    CHECK_FALSE(base64_decode("AQ ID")); // whitespace
    CHECK_FALSE(base64_decode("AQ-D"));  // url alphabet
    CHECK(base64url_decode("AQ-_") == Bytes{1, 15, 191});
    CHECK(base64_encode(Bytes{0xfb, 0xff}) == "+/8=");
    CHECK(base64url_encode(Bytes{0xfb, 0xff}) == "-_8");
}

TEST_CASE("a document's hash function picks the algorithm of the key's kind")
{
    CHECK(with_hash(Algorithm::ES256, EVP_sha384()) == Algorithm::ES384);
    CHECK(with_hash(Algorithm::ES384, EVP_sha256()) == Algorithm::ES256);
    CHECK(with_hash(Algorithm::RS256, EVP_sha512()) == Algorithm::RS512);
    CHECK(with_hash(Algorithm::PS256, EVP_sha384()) == Algorithm::PS384);
    CHECK_THROWS(with_hash(Algorithm::ES256, EVP_sha1()));

    CHECK(EVP_MD_get_type(hash_function_named("SHA-512")) == NID_sha512);
    CHECK(hash_function_named("SHA-1") == nullptr);
    CHECK(hash_function_named("sha-256") == nullptr); // Web eID's names, exactly
    CHECK(hash_function_name(Algorithm::PS384) == "SHA-384");

    CHECK(crypto_algorithm_name(Algorithm::ES512) == "ECC");
    CHECK(padding_scheme_name(Algorithm::ES512) == "NONE");
    CHECK(crypto_algorithm_name(Algorithm::RS256) == "RSA");
    CHECK(padding_scheme_name(Algorithm::RS256) == "PKCS1.5");
    CHECK(padding_scheme_name(Algorithm::PS512) == "PSS");
}

TEST_CASE("a certificate's use: logging in, signing documents, or both")
{
    auto key = test::make_ec_key("P-256");
    auto use_of = [&](std::string key_usage, std::string eku) {
        test::CertSpec spec;
        spec.common_name = "Mari";
        spec.eku = eku;
        spec.key_usage = key_usage;
        return certificate_use(test::make_certificate(spec, key.get(), nullptr, key.get()).get());
    };
    auto login = use_of("critical,digitalSignature", "clientAuth");
    CHECK((login.login && !login.signing));
    auto signing = use_of("critical,nonRepudiation", "-");
    CHECK((!signing.login && signing.signing));
    auto both = use_of("critical,digitalSignature,nonRepudiation", "-");
    CHECK((both.login && both.signing));
    auto server = use_of("critical,digitalSignature", "serverAuth");
    CHECK((!server.login && !server.signing)); // a TLS server's certificate is neither
    auto bare = use_of("-", "-");
    CHECK((bare.login && !bare.signing)); // no keyUsage: any use but a commitment
}

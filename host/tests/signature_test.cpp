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

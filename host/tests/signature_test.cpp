#include "cardbound/crypto/certificate.h"
#include "cardbound/crypto/signature.h"
#include "cardbound/protocol/messages.h"
#include "cardbound/protocol/registry.h"
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

TEST_CASE("a transaction text is one line of printable characters, shown as it is")
{
    CHECK(is_valid_transaction_text("Pay 1,200 EUR to ACME"));
    CHECK(is_valid_transaction_text("Maksa 1 200 € ettevõttele Õun & Äri"));
    CHECK(is_valid_transaction_text("支付 1200 欧元"));
    CHECK(is_valid_transaction_text(std::string(registry::kMaxTransactionTextBytes, 'x')));
    CHECK_FALSE(
        is_valid_transaction_text(std::string(registry::kMaxTransactionTextBytes + 1, 'x')));
    CHECK_FALSE(is_valid_transaction_text(""));
    CHECK_FALSE(is_valid_transaction_text("Pay 1 EUR\nto ACME"));
    CHECK_FALSE(is_valid_transaction_text("Pay\t1 EUR"));
    CHECK_FALSE(is_valid_transaction_text("Pay \xC2\x85 1 EUR")); // NEL, a C1 control
    CHECK_FALSE(is_valid_transaction_text("Pay 1 EUR to \xE2\x80\xAE"
                                          "EMCA")); // RIGHT-TO-LEFT OVERRIDE
    CHECK_FALSE(is_valid_transaction_text("Pay 1\xE2\x80\x8B"
                                          "00 EUR")); // ZERO WIDTH SPACE
    CHECK_FALSE(is_valid_transaction_text("Pay \xE2\x81\xA6"
                                          "1 EUR"));                  // LEFT-TO-RIGHT ISOLATE
    CHECK_FALSE(is_valid_transaction_text("Pay \xE2\x80\xA8 1 EUR")); // LINE SEPARATOR
    CHECK_FALSE(is_valid_transaction_text("\xC3"));                   // cut short
    CHECK_FALSE(is_valid_transaction_text("\xC0\xA0"));               // overlong
    CHECK_FALSE(is_valid_transaction_text("\xED\xA0\x80"));           // a surrogate
}

TEST_CASE("a transaction challenge parses strictly and signs its text; its digest is apart from "
          "the others")
{
    auto key = test::make_ec_key("P-256");
    TransactionChallenge t;
    t.origin = "https://bank.example";
    t.session_tag = "c2Vzc2lvbi10YWctMTIzNDU2";
    t.text = "Pay 1,200 EUR to ACME";
    t.nonce = base64_encode(Bytes(32, 7));
    t.issued_at = "2026-11-29T12:00:00Z";
    t.expires_at = "2026-11-29T12:02:00Z";
    t.signature = sign_message(key.get(), t.algorithm, as_bytes(t.signing_input()));
    auto back = TransactionChallenge::from_json(t.to_json());
    CHECK(back.text == t.text);
    CHECK(
        verify_message(key.get(), back.algorithm, as_bytes(back.signing_input()), back.signature));
    back.text = "Pay 9,999 EUR to EVIL";
    CHECK_FALSE(
        verify_message(key.get(), back.algorithm, as_bytes(back.signing_input()), back.signature));

    auto j = t.to_json();
    j["text"] = "Pay 1 EUR\u202Eto ACME";
    CHECK_THROWS_AS(TransactionChallenge::from_json(j), ProtocolError);
    j = t.to_json();
    j["extra"] = 1;
    CHECK_THROWS_AS(TransactionChallenge::from_json(j), ProtocolError);

    Bytes d = transaction_digest(Algorithm::ES256, t.origin, t.session_tag, t.text, t.nonce);
    CHECK(d != transaction_digest(Algorithm::ES256, t.origin, t.session_tag,
                                  "Pay 1,201 EUR to ACME", t.nonce));
    CHECK(d != presence_digest(Algorithm::ES256, t.origin, t.session_tag, t.nonce));
    CHECK(d != login_digest(Algorithm::ES256, t.origin, t.nonce));

    TransactionConfirmation c{"c2Vzc2lvbi10YWctMTIzNDU2", t.text,      t.nonce, Bytes{1, 2, 3},
                              Algorithm::ES256,           Bytes(64, 1)};
    auto cj = c.to_json();
    CHECK(TransactionConfirmation::from_json(cj).text == t.text);
    cj["format"] = "cardbound-presence:1";
    CHECK_THROWS_AS(TransactionConfirmation::from_json(cj), ProtocolError);
}

#include "cardbound/crypto/certificate.h"
#include "test_pki.h"
#include "trust/server_verifier.h"

#include <cstdio>
#include <doctest/doctest.h>

using namespace cardbound;
using namespace cardbound::host;

namespace
{

// A trusted CA, a server certificate for localhost under it, and a host
// nonce: everything a good challenge needs.
struct Fixture {
    ossl::Pkey ca_key = test::make_ec_key("P-384");
    ossl::X509Ptr ca =
        test::make_certificate({"Test CA", {}, true}, ca_key.get(), nullptr, nullptr);
    ossl::Pkey server_key = test::make_ec_key("P-256");
    ossl::X509Ptr server = test::make_certificate({"localhost", {"localhost", "127.0.0.1"}},
                                                  server_key.get(), ca.get(), ca_key.get());
    std::string ca_file = test::write_pem_file({ca.get()});
    ServerVerifier verifier{
        std::make_shared<TrustStore>(false, std::vector{ca_file},
                                     std::map<std::string, std::vector<std::string>>{}),
        60};
    Origin origin = *parse_origin("https://localhost:8443");
    std::string host_nonce = base64_encode(random_bytes(32));
    std::time_t now = std::time(nullptr);

    ~Fixture() { std::remove(ca_file.c_str()); }

    ServerChallenge challenge(X509 *cert, EVP_PKEY *key, std::time_t issued,
                              int lifetime = 120) const
    {
        ServerChallenge c;
        c.origin = origin.serialize();
        c.server_nonce = base64_encode(random_bytes(32));
        c.host_nonce = host_nonce;
        c.issued_at = format_time(issued);
        c.expires_at = format_time(issued + lifetime);
        c.certificate_chain.push_back(certificate_der(cert));
        sign(c, key);
        return c;
    }
    ServerChallenge good() const { return challenge(server.get(), server_key.get(), now - 5); }

    static void sign(ServerChallenge &c, EVP_PKEY *key)
    {
        c.algorithm = *default_algorithm(key);
        c.signature = sign_message(key, c.algorithm, as_bytes(c.signing_input()));
    }
};

// The error a verification throws, as "CODE reason".
std::string failure(const std::function<void()> &f)
{
    try {
        f();
    } catch (const HostError &e) {
        std::string out(code_name(e.code));
        if (e.details.contains("reason"))
            out += " " + e.details["reason"].get<std::string>();
        return out;
    }
    return "verified";
}

} // namespace

TEST_CASE("a good challenge verifies and names the server")
{
    Fixture f;
    VerifiedServer v = f.verifier.verify_challenge(f.good(), f.origin, f.host_nonce, f.now);
    CHECK(v.fingerprint == sha256_fingerprint(f.server.get()));
    CHECK(v.subject.find("CN=localhost") != std::string::npos);
}

TEST_CASE("the challenge survives the JSON round trip")
{
    Fixture f;
    ServerChallenge parsed = ServerChallenge::from_json(f.good().to_json());
    CHECK(failure([&] { f.verifier.verify_challenge(parsed, f.origin, f.host_nonce, f.now); }) ==
          "verified");
}

TEST_CASE("an expired challenge is refused")
{
    Fixture f;
    auto c = f.challenge(f.server.get(), f.server_key.get(), f.now - 200, 120);
    CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, f.host_nonce, f.now); }) ==
          "ERR_SERVER_NOT_TRUSTED expired");
}

TEST_CASE("a challenge valid for more than 5 minutes is refused")
{
    Fixture f;
    auto c = f.challenge(f.server.get(), f.server_key.get(), f.now - 5, 301);
    CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, f.host_nonce, f.now); }) ==
          "ERR_SERVER_NOT_TRUSTED lifetime");
}

TEST_CASE("a challenge from the future is refused")
{
    Fixture f;
    auto c = f.challenge(f.server.get(), f.server_key.get(), f.now + 120, 120);
    CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, f.host_nonce, f.now); }) ==
          "ERR_SERVER_NOT_TRUSTED not-yet-valid");
}

TEST_CASE("a server certificate from an untrusted CA is refused")
{
    Fixture f;
    auto other_key = test::make_ec_key("P-256");
    auto other_ca =
        test::make_certificate({"Other CA", {}, true}, other_key.get(), nullptr, nullptr);
    auto key = test::make_ec_key("P-256");
    auto cert = test::make_certificate({"localhost", {"localhost"}}, key.get(), other_ca.get(),
                                       other_key.get());
    auto c = f.challenge(cert.get(), key.get(), f.now - 5);
    CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, f.host_nonce, f.now); }) ==
          "ERR_SERVER_NOT_TRUSTED untrusted");
}

TEST_CASE("an expired server certificate is refused")
{
    Fixture f;
    auto key = test::make_ec_key("P-256");
    test::CertSpec spec{"localhost", {"localhost"}};
    spec.not_before = f.now - 7200;
    spec.not_after = f.now - 3600;
    auto cert = test::make_certificate(spec, key.get(), f.ca.get(), f.ca_key.get());
    auto c = f.challenge(cert.get(), key.get(), f.now - 5);
    CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, f.host_nonce, f.now); }) ==
          "ERR_SERVER_NOT_TRUSTED untrusted");
}

TEST_CASE("a certificate that does not name the origin's host is refused")
{
    Fixture f;
    auto key = test::make_ec_key("P-256");
    auto cert = test::make_certificate({"other.example", {"other.example"}}, key.get(), f.ca.get(),
                                       f.ca_key.get());
    auto c = f.challenge(cert.get(), key.get(), f.now - 5);
    CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, f.host_nonce, f.now); }) ==
          "ERR_SERVER_NOT_TRUSTED name");
}

TEST_CASE("a challenge for another login's host nonce is refused")
{
    Fixture f;
    auto c = f.good();
    std::string other = base64_encode(random_bytes(32));
    CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, other, f.now); }) ==
          "ERR_SERVER_NOT_TRUSTED nonce");
}

TEST_CASE("a tampered field breaks the signature")
{
    Fixture f;
    SUBCASE("server nonce")
    {
        auto c = f.good();
        c.server_nonce = base64_encode(random_bytes(32));
        CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, f.host_nonce, f.now); }) ==
              "ERR_SERVER_NOT_TRUSTED signature");
    }
    SUBCASE("expiry")
    {
        auto c = f.good();
        c.expires_at = format_time(f.now + 200);
        CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, f.host_nonce, f.now); }) ==
              "ERR_SERVER_NOT_TRUSTED signature");
    }
    SUBCASE("signature byte")
    {
        auto c = f.good();
        c.signature[3] ^= 0x40;
        CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, f.host_nonce, f.now); }) ==
              "ERR_SERVER_NOT_TRUSTED signature");
    }
    SUBCASE("signed by another key than the certificate's")
    {
        auto c = f.good();
        auto stranger = test::make_ec_key("P-256");
        Fixture::sign(c, stranger.get());
        CHECK(failure([&] { f.verifier.verify_challenge(c, f.origin, f.host_nonce, f.now); }) ==
              "ERR_SERVER_NOT_TRUSTED signature");
    }
}

TEST_CASE("a challenge signed for another origin is an origin mismatch")
{
    Fixture f;
    auto c = f.good();
    Origin phishing = *parse_origin("https://localhost:9443");
    CHECK(failure([&] { f.verifier.verify_challenge(c, phishing, f.host_nonce, f.now); }) ==
          "ERR_ORIGIN_MISMATCH");
}

TEST_CASE("pins restrict an origin to its pinned certificate")
{
    Fixture f;
    std::map<std::string, std::vector<std::string>> pins{
        {f.origin.serialize(), {std::string(64, 'a')}}};
    ServerVerifier pinned{std::make_shared<TrustStore>(false, std::vector{f.ca_file}, pins), 60};
    CHECK(failure([&] { pinned.verify_challenge(f.good(), f.origin, f.host_nonce, f.now); }) ==
          "ERR_SERVER_NOT_TRUSTED pin");
    pins[f.origin.serialize()] = {sha256_fingerprint(f.server.get())};
    ServerVerifier right{std::make_shared<TrustStore>(false, std::vector{f.ca_file}, pins), 60};
    CHECK(failure([&] { right.verify_challenge(f.good(), f.origin, f.host_nonce, f.now); }) ==
          "verified");
}

TEST_CASE("receipts and presence challenges must come from the verified server")
{
    Fixture f;
    VerifiedServer v = f.verifier.verify_challenge(f.good(), f.origin, f.host_nonce, f.now);
    PresenceChallenge p;
    p.origin = f.origin.serialize();
    p.session_tag = base64url_encode(random_bytes(16));
    p.nonce = base64_encode(random_bytes(32));
    p.issued_at = format_time(f.now - 1);
    p.expires_at = format_time(f.now + 60);
    p.algorithm = Algorithm::ES256;
    p.signature = sign_message(f.server_key.get(), p.algorithm, as_bytes(p.signing_input()));
    CHECK(failure([&] { f.verifier.verify_presence_challenge(p, v, f.origin, f.now); }) ==
          "verified");
    auto stranger = test::make_ec_key("P-256");
    p.signature = sign_message(stranger.get(), p.algorithm, as_bytes(p.signing_input()));
    CHECK(failure([&] { f.verifier.verify_presence_challenge(p, v, f.origin, f.now); }) ==
          "ERR_SERVER_NOT_TRUSTED signature");
}

TEST_CASE("signed messages are parsed strictly")
{
    Fixture f;
    auto j = f.good().to_json();
    CHECK_NOTHROW(ServerChallenge::from_json(j));
    auto extra = j;
    extra["note"] = "hi";
    CHECK_THROWS_AS(ServerChallenge::from_json(extra), ProtocolError);
    auto missing = j;
    missing.erase("hostNonce");
    CHECK_THROWS_AS(ServerChallenge::from_json(missing), ProtocolError);
    auto short_nonce = j;
    short_nonce["serverNonce"] = base64_encode(random_bytes(16));
    CHECK_THROWS_AS(ServerChallenge::from_json(short_nonce), ProtocolError);
    auto bad_time = j;
    bad_time["expiresAt"] = "2026-02-30T00:00:00Z";
    CHECK_THROWS_AS(ServerChallenge::from_json(bad_time), ProtocolError);
    auto newline = j;
    newline["origin"] = "https://localhost:8443\nx";
    CHECK_THROWS_AS(ServerChallenge::from_json(newline), ProtocolError);
    auto alg = j;
    alg["signatureAlgorithm"] = "none";
    CHECK_THROWS_AS(ServerChallenge::from_json(alg), ProtocolError);
}

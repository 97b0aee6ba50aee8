// Token validations per second on one core, with OCSP answers cached, next to
// the limit measured in the same run: the raw signature verifications one
// validation needs (the token's signature, the card certificate's and the
// issuing CA's), done by OpenSSL in a loop. Prints figures; never fails.
//
//   validation-bench PKI_DIR [SECONDS] [chain]   (the bench's PKI and OCSP responder)
//
// By default the root is the anchor and the issuing CA an intermediate (a
// path of three, three raw verifies); with "chain" both CAs are anchors, as
// cardbound-server --demo and the Java validator have them (a path of two,
// two raw verifies): scripts/bench-java runs both validators on that case.
#include "cardbound/crypto/certificate.h"
#include "validation/ocsp_checker.h"
#include "validation/token_validator.h"

#include <chrono>
#include <cstdio>
#include <openssl/pem.h>

using namespace cardbound;
using namespace cardbound::server;
using Clock = std::chrono::steady_clock;

namespace
{

ossl::Pkey load_key(const std::string &path)
{
    ossl::Bio bio(BIO_new_file(path.c_str(), "r"));
    return ossl::Pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

template <typename F> double rate(double seconds, F &&f)
{
    auto start = Clock::now();
    long n = 0;
    while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
        for (int i = 0; i < 50; i++)
            f();
        n += 50;
    }
    return n / std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: validation-bench PKI_DIR [SECONDS] [chain]\n");
        return 2;
    }
    std::string pki = argv[1];
    double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
    bool both_anchors = argc > 3 && std::string(argv[3]) == "chain";
    auto root = std::move(load_pem_certificates(pki + "/root-ca.pem").at(0));
    auto issuer = std::move(load_pem_certificates(pki + "/intermediate-ca.pem").at(0));
    auto card = std::move(load_pem_certificates(pki + "/client-p256.pem").at(0));
    auto key = load_key(pki + "/client-p256.key");

    const std::string origin = "https://localhost:8443";
    const std::string nonce = base64_encode(random_bytes(32));
    AuthToken token;
    token.certificate = certificate_der(card.get());
    token.algorithm = Algorithm::ES256;
    token.signature =
        sign_digest(key.get(), token.algorithm, login_digest(token.algorithm, origin, nonce));

    ValidatorConfig config;
    std::vector<ossl::X509Ptr> roots;
    X509_up_ref(root.get());
    roots.emplace_back(root.get());
    X509_up_ref(issuer.get());
    if (both_anchors)
        roots.emplace_back(issuer.get());
    else
        config.intermediates.emplace_back(issuer.get());
    config.anchors = std::make_shared<const TrustAnchors>(std::move(roots), "the bench's CAs");
    auto ocsp = std::make_shared<OcspChecker>(OcspConfig{}, config.anchors);
    config.revocation = ocsp;
    TokenValidator validator(std::move(config));
    std::time_t now = std::time(nullptr);
    validator.validate(token, origin, nonce, now); // fills the OCSP cache

    double validations = rate(seconds, [&] { validator.validate(token, origin, nonce, now); });

    // The limit: the path's signature checks, nothing else.
    Bytes d = login_digest(token.algorithm, origin, nonce);
    EVP_PKEY *card_pub = X509_get0_pubkey(card.get());
    EVP_PKEY *issuer_pub = X509_get0_pubkey(issuer.get());
    EVP_PKEY *root_pub = X509_get0_pubkey(root.get());
    double limit = rate(seconds, [&] {
        verify_digest(card_pub, token.algorithm, d, token.signature);
        X509_verify(card.get(), issuer_pub);
        if (!both_anchors)
            X509_verify(issuer.get(), root_pub);
    });

    std::printf("token validation (EC P-256 card, P-384 CA %s, OCSP cached), one core\n",
                both_anchors ? "anchors" : "chain");
    std::printf("  validations            %8.0f /s\n", validations);
    std::printf("  limit (%d raw verifies) %8.0f /s\n", both_anchors ? 2 : 3, limit);
    std::printf("  ratio                  %8.2f  (target >= 0.70)\n", validations / limit);
    std::printf("  OCSP network queries   %8zu  (the rest came from the cache)\n", ocsp->queries());
    return 0;
}

#include "session/server_identity.h"

#include "cardbound/crypto/certificate.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdexcept>

namespace cardbound::server
{

ServerIdentity ServerIdentity::load(const std::string &key_pem, const std::string &chain_pem)
{
    ServerIdentity id;
    ossl::Bio bio(BIO_new_file(key_pem.c_str(), "r"));
    if (!bio)
        throw std::runtime_error("cannot read " + key_pem);
    id.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!id.key) {
        ERR_clear_error();
        throw std::runtime_error("no private key in " + key_pem);
    }
    for (auto &c : load_pem_certificates(chain_pem))
        id.chain.push_back(certificate_der(c.get()));
    auto leaf = parse_der_certificate(id.chain.at(0));
    if (!leaf || EVP_PKEY_eq(X509_get0_pubkey(leaf.get()), id.key.get()) != 1)
        throw std::runtime_error(chain_pem + " does not start with the certificate of " + key_pem);
    auto alg = default_algorithm(id.key.get());
    if (!alg)
        throw std::runtime_error("the server key cannot sign (RSA or EC P-256/384/521 only)");
    id.algorithm = *alg;
    return id;
}

Bytes ServerIdentity::sign(const std::string &input) const
{
    return sign_message(key.get(), algorithm, as_bytes(input));
}

} // namespace cardbound::server

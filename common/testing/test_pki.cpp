#include "test_pki.h"

#include <cstdlib>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdexcept>
#include <unistd.h>

namespace cardbound::test
{

ossl::Pkey make_ec_key(const char *curve)
{
    return ossl::Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

ossl::Pkey make_rsa_key(int bits)
{
    return ossl::Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}

namespace
{

void add_ext(X509 *cert, X509 *issuer, int nid, const std::string &value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext)
        throw std::runtime_error("bad extension " + value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

} // namespace

ossl::X509Ptr make_certificate(const CertSpec &spec, EVP_PKEY *key, X509 *issuer,
                               EVP_PKEY *issuer_key)
{
    static long serial = 1000;
    ossl::X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial);
    ASN1_TIME_set(X509_getm_notBefore(cert.get()), spec.not_before);
    ASN1_TIME_set(X509_getm_notAfter(cert.get()), spec.not_after);
    X509_NAME *name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>(spec.common_name.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(cert.get(), key);
    X509 *iss = issuer ? issuer : cert.get();
    auto ext = [&](int nid, const std::string &wanted, const std::string &usual) {
        const std::string &value = wanted.empty() ? usual : wanted;
        if (!value.empty() && value != "-")
            add_ext(cert.get(), iss, nid, value);
    };
    // Identifiers first: a self-signed certificate's AKI refers to its own SKI.
    if (spec.key_ids) {
        add_ext(cert.get(), iss, NID_subject_key_identifier, "hash");
        add_ext(cert.get(), iss, NID_authority_key_identifier, "keyid:always");
    }
    if (spec.is_ca) {
        ext(NID_basic_constraints, spec.basic_constraints, "critical,CA:TRUE");
        ext(NID_key_usage, spec.key_usage, "critical,keyCertSign,cRLSign");
    } else {
        ext(NID_basic_constraints, spec.basic_constraints, "critical,CA:FALSE");
        ext(NID_key_usage, spec.key_usage, "critical,digitalSignature");
        ext(NID_ext_key_usage, spec.eku, "");
    }
    ext(NID_name_constraints, spec.name_constraints, "");
    if (!spec.dns_names.empty()) {
        std::string san;
        for (const auto &d : spec.dns_names)
            san +=
                (san.empty() ? "" : ",") +
                (d.find_first_not_of("0123456789.") == std::string::npos ? "IP:" + d : "DNS:" + d);
        add_ext(cert.get(), iss, NID_subject_alt_name, san);
    }
    if (X509_sign(cert.get(), issuer_key ? issuer_key : key,
                  spec.digest ? spec.digest : EVP_sha256()) <= 0)
        throw std::runtime_error("cannot sign a test certificate");
    return cert;
}

namespace
{

std::string temporary_pem()
{
    char path[] = "/tmp/cardbound-test-XXXXXX.pem";
    int fd = mkstemps(path, 4);
    if (fd < 0)
        throw std::runtime_error("mkstemps failed");
    close(fd);
    return path;
}

} // namespace

std::string write_crl_file(X509 *issuer, EVP_PKEY *issuer_key, const std::vector<X509 *> &revoked,
                           std::time_t last_update, std::time_t next_update)
{
    std::unique_ptr<X509_CRL, ossl::Deleter<X509_CRL_free>> crl(X509_CRL_new());
    X509_CRL_set_version(crl.get(), 1);
    X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer));
    std::unique_ptr<ASN1_TIME, ossl::Deleter<ASN1_TIME_free>> last(
        ASN1_TIME_set(nullptr, last_update));
    std::unique_ptr<ASN1_TIME, ossl::Deleter<ASN1_TIME_free>> next(
        ASN1_TIME_set(nullptr, next_update));
    X509_CRL_set1_lastUpdate(crl.get(), last.get());
    X509_CRL_set1_nextUpdate(crl.get(), next.get());
    for (X509 *cert : revoked) {
        X509_REVOKED *r = X509_REVOKED_new();
        X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(cert));
        X509_REVOKED_set_revocationDate(r, last.get());
        X509_CRL_add0_revoked(crl.get(), r);
    }
    X509_CRL_sort(crl.get());
    if (X509_CRL_sign(crl.get(), issuer_key, EVP_sha256()) <= 0)
        throw std::runtime_error("cannot sign a test CRL");
    std::string path = temporary_pem();
    ossl::Bio bio(BIO_new_file(path.c_str(), "w"));
    PEM_write_bio_X509_CRL(bio.get(), crl.get());
    return path;
}

std::string write_pem_file(const std::vector<X509 *> &certs)
{
    std::string path = temporary_pem();
    ossl::Bio bio(BIO_new_file(path.c_str(), "w"));
    for (X509 *c : certs)
        PEM_write_bio_X509(bio.get(), c);
    return path;
}

} // namespace cardbound::test

#include "cardbound/crypto/certificate.h"

#include "cardbound/crypto/signature.h"

#include <cstdio>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdexcept>

namespace cardbound
{

ossl::X509Ptr parse_der_certificate(std::span<const std::uint8_t> der)
{
    const unsigned char *p = der.data();
    ossl::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert || p != der.data() + der.size())
        return nullptr;
    return cert;
}

std::vector<ossl::X509Ptr> load_pem_certificates(const std::string &path)
{
    ossl::Bio bio(BIO_new_file(path.c_str(), "r"));
    if (!bio)
        throw std::runtime_error("cannot read " + path);
    std::vector<ossl::X509Ptr> certs;
    while (X509 *c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        certs.emplace_back(c);
    ERR_clear_error(); // the end of the file reads as an error
    if (certs.empty())
        throw std::runtime_error("no PEM certificate in " + path);
    return certs;
}

Bytes certificate_der(X509 *cert)
{
    unsigned char *der = nullptr;
    int len = i2d_X509(cert, &der);
    if (len <= 0)
        throw std::runtime_error("cannot encode a certificate");
    Bytes out(der, der + len);
    OPENSSL_free(der);
    return out;
}

std::string sha256_fingerprint(X509 *cert)
{
    return hex_encode(digest(EVP_sha256(), certificate_der(cert)));
}

std::string name_to_string(const X509_NAME *name)
{
    ossl::Bio bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(
        bio.get(), name, 0,
        (XN_FLAG_RFC2253 & ~XN_FLAG_SEP_MASK & ~XN_FLAG_DN_REV & ~ASN1_STRFLGS_ESC_MSB) |
            XN_FLAG_SEP_CPLUS_SPC);
    char *data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string name_entry_text(const X509_NAME *name, int nid)
{
    int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0)
        return {};
    ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char *utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0)
        return {};
    std::string out(reinterpret_cast<char *>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return out;
}

std::string curve_name(EVP_PKEY *key)
{
    char name[64] = {0};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", name, sizeof name, &len) != 1)
        return {};
    std::string group(name, len);
    if (group == "prime256v1" || group == "P-256")
        return "P-256";
    if (group == "secp384r1" || group == "P-384")
        return "P-384";
    if (group == "secp521r1" || group == "P-521")
        return "P-521";
    return group;
}

std::string holder_name(X509 *cert)
{
    const X509_NAME *subject = X509_get_subject_name(cert);
    std::string given = name_entry_text(subject, NID_givenName);
    std::string surname = name_entry_text(subject, NID_surname);
    if (!given.empty() && !surname.empty())
        return given + " " + surname;
    std::string cn = name_entry_text(subject, NID_commonName);
    return cn.empty() ? name_to_string(subject) : cn;
}

std::string format_time(std::time_t t)
{
    std::tm tm{};
    gmtime_r(&t, &tm);
    char out[32];
    std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

std::optional<std::time_t> parse_time(std::string_view text)
{
    // Exactly YYYY-MM-DDTHH:MM:SSZ: one spelling per instant, so that signed
    // text and its meaning cannot drift apart.
    if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':' || text[19] != 'Z')
        return std::nullopt;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
        if (text[i] < '0' || text[i] > '9')
            return std::nullopt;
    auto num = [&](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; i++)
            v = v * 10 + (text[i] - '0');
        return v;
    };
    std::tm tm{};
    tm.tm_year = num(0, 4) - 1900;
    tm.tm_mon = num(5, 2) - 1;
    tm.tm_mday = num(8, 2);
    tm.tm_hour = num(11, 2);
    tm.tm_min = num(14, 2);
    tm.tm_sec = num(17, 2);
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 59)
        return std::nullopt;
    std::time_t t = timegm(&tm);
    // Reject dates that timegm normalised (e.g. February 30).
    if (format_time(t) != text)
        return std::nullopt;
    return t;
}

std::optional<std::time_t> asn1_time_to_time_t(const ASN1_TIME *t)
{
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) != 1)
        return std::nullopt;
    return timegm(&tm);
}

CertificateDescription describe(X509 *cert)
{
    CertificateDescription d;
    d.subject = name_to_string(X509_get_subject_name(cert));
    d.issuer = name_to_string(X509_get_issuer_name(cert));
    d.holder = holder_name(cert);
    ossl::Bignum serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
    if (serial) {
        char *hex = BN_bn2hex(serial.get());
        d.serial_hex = hex;
        OPENSSL_free(hex);
    }
    d.not_before = asn1_time_to_time_t(X509_get0_notBefore(cert)).value_or(0);
    d.not_after = asn1_time_to_time_t(X509_get0_notAfter(cert)).value_or(0);
    if (EVP_PKEY *key = X509_get0_pubkey(cert)) {
        int id = EVP_PKEY_get_base_id(key);
        d.key_type = id == EVP_PKEY_RSA ? "RSA" : id == EVP_PKEY_EC ? "EC" : OBJ_nid2sn(id);
        d.key_bits = EVP_PKEY_get_bits(key);
        if (id == EVP_PKEY_EC)
            d.curve = curve_name(key);
    }
    std::uint32_t ku = X509_get_key_usage(cert);
    if (ku != UINT32_MAX) {
        static const std::pair<std::uint32_t, const char *> names[] = {
            {KU_DIGITAL_SIGNATURE, "digitalSignature"},
            {KU_NON_REPUDIATION, "nonRepudiation"},
            {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
            {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
            {KU_KEY_AGREEMENT, "keyAgreement"},
            {KU_KEY_CERT_SIGN, "keyCertSign"},
            {KU_CRL_SIGN, "cRLSign"}};
        for (auto [bit, name] : names)
            if (ku & bit)
                d.key_usage.emplace_back(name);
    }
    std::uint32_t eku = X509_get_extended_key_usage(cert);
    if (eku != UINT32_MAX) {
        static const std::pair<std::uint32_t, const char *> names[] = {
            {XKU_SSL_CLIENT, "clientAuth"}, {XKU_SSL_SERVER, "serverAuth"},
            {XKU_SMIME, "emailProtection"}, {XKU_CODE_SIGN, "codeSigning"},
            {XKU_OCSP_SIGN, "OCSPSigning"}, {XKU_TIMESTAMP, "timeStamping"}};
        for (auto [bit, name] : names)
            if (eku & bit)
                d.extended_key_usage.emplace_back(name);
    }
    d.fingerprint_sha256 = sha256_fingerprint(cert);
    return d;
}

CertificateUse certificate_use(X509 *cert)
{
    std::uint32_t ku = X509_get_key_usage(cert); // UINT32_MAX: no keyUsage
    std::uint32_t eku = X509_get_extended_key_usage(cert);
    CertificateUse use;
    use.login = (ku == UINT32_MAX || (ku & KU_DIGITAL_SIGNATURE)) &&
                (eku == UINT32_MAX || (eku & XKU_SSL_CLIENT));
    use.signing = ku != UINT32_MAX && (ku & KU_NON_REPUDIATION);
    return use;
}

} // namespace cardbound

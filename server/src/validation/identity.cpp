#include "validation/identity.h"

#include "cardbound/crypto/certificate.h"

namespace cardbound::server
{

namespace
{

std::string name_entry(X509 *cert, int nid)
{
    return name_entry_text(X509_get_subject_name(cert), nid);
}

} // namespace

nlohmann::json Identity::to_json() const
{
    return {{"subject", subject},
            {"holder", holder},
            {"givenName", given_name},
            {"surname", surname},
            {"personalCode", personal_code},
            {"country", country},
            {"issuer", issuer},
            {"serialNumber", serial_number},
            {"fingerprint", fingerprint},
            {"notAfter", not_after},
            {"algorithm", algorithm}};
}

Identity identity_of(X509 *cert, Algorithm algorithm)
{
    CertificateDescription desc = describe(cert);
    Identity id;
    id.subject = desc.subject;
    id.holder = desc.holder;
    id.given_name = name_entry(cert, NID_givenName);
    id.surname = name_entry(cert, NID_surname);
    id.personal_code = name_entry(cert, NID_serialNumber);
    id.country = name_entry(cert, NID_countryName);
    id.issuer = desc.issuer;
    id.serial_number = desc.serial_hex;
    id.fingerprint = desc.fingerprint_sha256;
    id.not_after = format_time(desc.not_after);
    id.algorithm = std::string(to_string(algorithm));
    return id;
}

} // namespace cardbound::server

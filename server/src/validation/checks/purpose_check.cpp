#include "validation/checks/purpose_check.h"

#include <openssl/x509v3.h>

namespace cardbound::server
{

void PurposeCheck::run(Candidate &c) const
{
    X509 *cert = c.certificate.get();
    std::uint32_t flags = X509_get_extension_flags(cert);
    if (!(flags & EXFLAG_KUSAGE))
        refuse(ValidationCode::CertWrongPurpose, "the certificate has no keyUsage");
    if (!(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE))
        refuse(ValidationCode::CertWrongPurpose,
               "the certificate's key is not for digital signatures");
    if ((flags & EXFLAG_XKUSAGE) && !(X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT))
        refuse(ValidationCode::CertWrongPurpose,
               "the certificate's extendedKeyUsage does not allow clientAuth");
}

} // namespace cardbound::server

#include "validation/checks/certificate_check.h"

#include "cardbound/crypto/certificate.h"

namespace cardbound::server
{

void CertificateCheck::run(Candidate &c) const
{
    c.certificate = parse_der_certificate(c.token.certificate);
    if (!c.certificate)
        refuse(ValidationCode::TokenMalformed, "unverifiedCertificate is not a DER certificate");
    if (!c.key())
        refuse(ValidationCode::TokenMalformed, "the certificate's key cannot be read");
}

} // namespace cardbound::server

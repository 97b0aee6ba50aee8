#include "validation/checks/validity_check.h"

namespace cardbound::server
{

void ValidityCheck::run(Candidate &c) const
{
    // X509_cmp_time: -1 earlier (or equal), 1 later, 0 an unreadable time.
    int after = X509_cmp_time(X509_get0_notAfter(c.certificate.get()), &c.at);
    int before = X509_cmp_time(X509_get0_notBefore(c.certificate.get()), &c.at);
    if (after == 0 || before == 0)
        refuse(ValidationCode::TokenMalformed, "the certificate's validity cannot be read");
    if (after < 0)
        refuse(ValidationCode::CertExpired, "the certificate has expired");
    if (before > 0)
        refuse(ValidationCode::CertNotYetValid, "the certificate is not valid yet");
}

} // namespace cardbound::server

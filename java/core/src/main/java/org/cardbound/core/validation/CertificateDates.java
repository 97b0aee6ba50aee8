package org.cardbound.core.validation;

import java.security.cert.X509Certificate;
import java.time.Instant;
import org.cardbound.core.Registry.ValidationCode;

// Validity at the validation time as OpenSSL judges it (X509_cmp_time):
// notBefore <= at < notAfter. The JDK's checkValidity accepts at == notAfter.
public final class CertificateDates {
    private CertificateDates() {}

    public static void check(X509Certificate cert, Instant at, String what) throws ValidationException {
        if (!at.isBefore(cert.getNotAfter().toInstant()))
            throw new ValidationException(ValidationCode.CERT_EXPIRED, what + " has expired");
        if (at.isBefore(cert.getNotBefore().toInstant()))
            throw new ValidationException(ValidationCode.CERT_NOT_YET_VALID, what + " is not valid yet");
    }
}

package org.cardbound.core.validation.checks;

import java.security.cert.CertificateParsingException;
import java.util.List;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 14: an extendedKeyUsage, when present, includes clientAuth (and
// anyExtendedKeyUsage alone is not clientAuth, as OpenSSL reads it). No
// extendedKeyUsage is accepted, as Web eID does: national card profiles
// differ, and rule 13 already limits the key. A card's signing certificate
// (emailProtection) must not log in.
public final class ExtendedKeyUsageCheck implements TokenCheck {
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    @Override
    public void run(Candidate c) throws ValidationException {
        List<String> eku;
        try {
            eku = c.certificate.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new ValidationException(ValidationCode.CERT_WRONG_PURPOSE, "the certificate's extendedKeyUsage cannot be read");
        }
        if (eku != null && !eku.contains(CLIENT_AUTH))
            throw new ValidationException(ValidationCode.CERT_WRONG_PURPOSE,
                    "the certificate's extendedKeyUsage does not allow clientAuth");
    }
}

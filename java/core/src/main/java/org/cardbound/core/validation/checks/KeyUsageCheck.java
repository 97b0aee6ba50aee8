package org.cardbound.core.validation.checks;

import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 13: the card's certificate has a keyUsage with digitalSignature. A
// certificate without keyUsage says nothing about its key; we do not guess
// that it may sign logins.
public final class KeyUsageCheck implements TokenCheck {
    private static final int DIGITAL_SIGNATURE = 0;

    @Override
    public void run(Candidate c) throws ValidationException {
        boolean[] ku = c.certificate.getKeyUsage();
        if (ku == null) throw new ValidationException(ValidationCode.CERT_WRONG_PURPOSE, "the certificate has no keyUsage");
        if (ku.length <= DIGITAL_SIGNATURE || !ku[DIGITAL_SIGNATURE])
            throw new ValidationException(ValidationCode.CERT_WRONG_PURPOSE, "the certificate's key is not for digital signatures");
    }
}

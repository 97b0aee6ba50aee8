package org.cardbound.core.validation.checks;

import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.CertificateDates;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 7: the card's certificate is valid at the validation time. First
// among the certificate rules: an expired card is the most common refusal,
// and says so.
public final class CardValidityCheck implements TokenCheck {
    @Override
    public void run(Candidate c) throws ValidationException {
        CertificateDates.check(c.certificate, c.at, "the certificate");
    }
}

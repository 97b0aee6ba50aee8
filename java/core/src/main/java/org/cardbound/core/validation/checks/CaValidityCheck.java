package org.cardbound.core.validation.checks;

import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.CertificateDates;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 9: every CA of the path, the anchors included (OpenSSL judges them
// too; the JDK's PKIX would not), is valid at the validation time.
public final class CaValidityCheck implements TokenCheck {
    @Override
    public void run(Candidate c) throws ValidationException {
        for (int i = 1; i < c.path.size(); i++)
            CertificateDates.check(c.path.get(i), c.at, "the CA " + c.path.get(i).getSubjectX500Principal());
    }
}

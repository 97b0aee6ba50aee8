package org.cardbound.core.validation.checks;

import org.cardbound.core.Origins;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 3: the site's origin, what the token must be for, is a canonical
// https origin (lowercase, no default port, no path). The CLI refuses a bad
// --origin at start by the same rule.
public final class OriginCheck implements TokenCheck {
    @Override
    public void run(Candidate c) throws ValidationException {
        var why = Origins.relyingPartyProblem(c.origin);
        if (why.isPresent()) throw new ValidationException(ValidationCode.ORIGIN_MISMATCH, "the expected origin " + why.get());
    }
}

package org.cardbound.core.validation.checks;

import org.cardbound.core.Keys;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 5: the card's key is RSA of 2048 bits or more, or EC on P-256, P-384
// or P-521: the keys national ID cards carry, and none we cannot vouch for.
public final class CardKeyCheck implements TokenCheck {
    @Override
    public void run(Candidate c) throws ValidationException {
        var why = Keys.policyProblem(c.key());
        if (why.isPresent())
            throw new ValidationException(ValidationCode.ALGORITHM_UNSUPPORTED, "the card's certificate has " + why.get());
    }
}

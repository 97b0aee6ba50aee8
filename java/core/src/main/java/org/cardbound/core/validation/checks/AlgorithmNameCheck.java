package org.cardbound.core.validation.checks;

import org.cardbound.core.Algorithm;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 2: the algorithm is one of the nine we verify; another is refused by
// name, not guessed.
public final class AlgorithmNameCheck implements TokenCheck {
    @Override
    public void run(Candidate c) throws ValidationException {
        c.algorithm = Algorithm.of(c.token.algorithmName()).orElseThrow(() -> new ValidationException(
                ValidationCode.ALGORITHM_UNSUPPORTED, "token.algorithm is not a supported algorithm"));
    }
}

package org.cardbound.core.validation.checks;

import org.cardbound.core.Keys;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 6: the algorithm fits the key — ES256 P-256, ES384 P-384, ES512
// P-521 (JWA, RFC 7518), RS* and PS* RSA. A token that names another is
// malformed or forged.
public final class AlgorithmFitsKeyCheck implements TokenCheck {
    @Override
    public void run(Candidate c) throws ValidationException {
        if (!Keys.fits(c.algorithm, c.key()))
            throw new ValidationException(ValidationCode.ALGORITHM_UNSUPPORTED,
                    c.algorithm + " needs " + (c.algorithm.isEc() ? "an EC key on " + c.algorithm.curve() : "an RSA key"));
    }
}

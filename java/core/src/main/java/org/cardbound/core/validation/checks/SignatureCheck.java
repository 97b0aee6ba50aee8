package org.cardbound.core.validation.checks;

import org.cardbound.core.Digests;
import org.cardbound.core.MessageSignatures;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 17: the signature verifies with the card's key and the token's
// algorithm over H(H(origin) || H(nonce)) — Web eID's hash of hashes, this
// origin and this server nonce; ECDSA as raw r || s. Last, as the costliest.
public final class SignatureCheck implements TokenCheck {
    @Override
    public void run(Candidate c) throws ValidationException {
        byte[] input = Digests.loginSigningInput(c.algorithm, c.origin, c.nonce);
        if (!MessageSignatures.verify(c.key(), c.algorithm, input, c.token.signature()))
            throw new ValidationException(ValidationCode.SIGNATURE_INVALID,
                    "the signature does not cover this origin and nonce with this certificate");
    }
}

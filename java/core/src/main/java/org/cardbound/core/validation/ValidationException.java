package org.cardbound.core.validation;

import org.cardbound.core.Registry.ValidationCode;

// A token refused by one rule of the policy (docs/protocol.md §8): the code
// goes on the wire, the message to the log only.
public class ValidationException extends Exception {
    private static final long serialVersionUID = 1L;
    private final ValidationCode code;

    public ValidationException(ValidationCode code, String why) {
        super(why);
        this.code = code;
    }

    public ValidationCode code() {
        return code;
    }
}

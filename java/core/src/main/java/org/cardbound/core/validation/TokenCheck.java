package org.cardbound.core.validation;

// One rule of the token validation policy (docs/protocol.md §8, the table)
// as a unit: TokenValidator runs them in the table's order over one
// Candidate, and the first that fails answers with its own code (the shape
// of web-eid-authtoken-validation-java's certvalidators, and of the C++
// server/src/validation/checks/).
public interface TokenCheck {
    // Returns when the rule holds; throws when it does not.
    void run(Candidate candidate) throws ValidationException;
}

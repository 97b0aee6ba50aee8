package org.cardbound.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cardbound.core.Registry.ValidationCode;
import org.junit.jupiter.api.Test;

// The generated registry carries the registry's statuses: a refusal answers
// with the first, and ORIGIN_MISMATCH is also the 403 of a foreign Origin.
class RegistryTest {
    @Test
    void validationCodesKnowTheirStatus() {
        assertEquals(401, ValidationCode.CERT_EXPIRED.httpStatus());
        assertEquals(409, ValidationCode.SESSION_EXISTS.httpStatus());
        assertArrayEquals(new int[] {401, 403}, ValidationCode.ORIGIN_MISMATCH.httpStatuses());
        assertEquals(300, Registry.MAX_CHALLENGE_LIFETIME_SECONDS);
    }
}

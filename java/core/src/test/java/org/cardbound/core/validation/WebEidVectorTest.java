package org.cardbound.core.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.cardbound.core.Json;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.TestFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

// The real Web eID token of ../shared/vectors/web-eid (as the C++
// server/tests/verify_vector_test.sh uses it): valid with the clock at its
// validation time, CERT_EXPIRED today, and a changed nonce or origin breaks
// its signature. OCSP is not asked (its responder is on the internet).
class WebEidVectorTest {
    static JsonNode vector;
    static TrustAnchors anchors;

    @BeforeAll
    static void read() throws Exception {
        Path dir = TestFiles.webEidVectors();
        vector = Json.parse(Files.readString(dir.resolve("valid-es384.json")));
        anchors = TrustAnchors.fromFiles(List.of(dir.resolve("trusted-ca.pem")));
    }

    static Identity validate(Clock clock, String origin, String nonce) throws ValidationException {
        return new TokenValidator(anchors, List.of(), clock).validate(vector.get("token"), origin, nonce);
    }

    static Clock at(String time) {
        return Clock.fixed(Instant.parse(time), ZoneOffset.UTC);
    }

    static String origin() {
        return vector.get("origin").textValue();
    }

    static String nonce() {
        return vector.get("challengeNonce").textValue();
    }

    static Clock validationTime() {
        return at(vector.get("validationTime").textValue());
    }

    static void refused(ValidationCode code, Executable e) {
        ValidationException x = org.junit.jupiter.api.Assertions.assertThrows(ValidationException.class, e);
        assertEquals(code, x.code(), x.getMessage());
    }

    @Test
    void validAtItsTime() throws Exception {
        assertEquals("2023-07-22T00:00:00Z", vector.get("validationTime").textValue());
        Identity id = validate(validationTime(), origin(), nonce());
        assertEquals("PNOEE-38001085718", id.personalCode());
        assertEquals("ES384", id.algorithm());
        assertEquals("JAAK-KRISTJAN", id.givenName());
    }

    @Test
    void expiredToday() {
        refused(ValidationCode.CERT_EXPIRED, () -> validate(Clock.systemUTC(), origin(), nonce()));
    }

    @Test
    void anotherNonceOrOriginBreaksTheSignature() {
        refused(ValidationCode.SIGNATURE_INVALID, () -> validate(validationTime(), origin(), nonce() + "0"));
        refused(ValidationCode.SIGNATURE_INVALID, () -> validate(validationTime(), "https://ria.ee.example", nonce()));
    }
}

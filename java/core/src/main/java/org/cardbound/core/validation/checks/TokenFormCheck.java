package org.cardbound.core.validation.checks;

import org.cardbound.core.Algorithm;
import org.cardbound.core.JsonFields;
import org.cardbound.core.ProtocolException;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.AuthToken;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 1: a JSON object with unverifiedCertificate (base64 of at most
// 16 KiB), algorithm (a string), signature (base64 of at most 1 KiB) and
// format web-eid:1 or web-eid:1.x; appVersion, when present, a string of at
// most 256 characters. Other members are ignored, as Web eID's validators
// ignore them, so tokens of later web-eid:1.x formats keep working.
public final class TokenFormCheck implements TokenCheck {
    static final int MAX_CERTIFICATE_BYTES = 16 * 1024;
    static final int MAX_SIGNATURE_BYTES = 1024;

    @Override
    public void run(Candidate c) throws ValidationException {
        try {
            JsonFields f = new JsonFields(c.json, "token");
            byte[] certificate = f.base64("unverifiedCertificate", MAX_CERTIFICATE_BYTES);
            String algorithm = f.string("algorithm", 16);
            // An unknown algorithm is rule 2's to refuse, before the members
            // after it are judged: the C++ reader (AuthToken::from_json) reads
            // in this order and stops there, and both must answer alike.
            if (Algorithm.of(algorithm).isEmpty()) {
                c.token = new AuthToken(certificate, algorithm, null, null, null);
                return;
            }
            byte[] signature = f.base64("signature", MAX_SIGNATURE_BYTES);
            String format = f.string("format", 32);
            if (!format.equals("web-eid:1") && !format.startsWith("web-eid:1.")) f.fail("format", "must be web-eid:1.x");
            String appVersion = f.has("appVersion") ? f.string("appVersion", 256) : null;
            c.token = new AuthToken(certificate, algorithm, signature, format, appVersion);
        } catch (ProtocolException e) {
            throw new ValidationException(ValidationCode.TOKEN_MALFORMED, e.getMessage());
        }
    }
}

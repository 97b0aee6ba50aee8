package org.cardbound.core.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cardbound.core.validation.checks.AlgorithmFitsKeyCheck;
import org.cardbound.core.validation.checks.AlgorithmNameCheck;
import org.cardbound.core.validation.checks.CaConstraintsCheck;
import org.cardbound.core.validation.checks.CaValidityCheck;
import org.cardbound.core.validation.checks.CardKeyCheck;
import org.cardbound.core.validation.checks.CardValidityCheck;
import org.cardbound.core.validation.checks.CertificateCheck;
import org.cardbound.core.validation.checks.CrlCheck;
import org.cardbound.core.validation.checks.ExtendedKeyUsageCheck;
import org.cardbound.core.validation.checks.KeyUsageCheck;
import org.cardbound.core.validation.checks.OcspCheck;
import org.cardbound.core.validation.checks.OriginCheck;
import org.cardbound.core.validation.checks.PathAlgorithmsCheck;
import org.cardbound.core.validation.checks.SignatureCheck;
import org.cardbound.core.validation.checks.StrictX509Check;
import org.cardbound.core.validation.checks.TokenFormCheck;
import org.cardbound.core.validation.checks.TrustPathCheck;

// Validates web-eid:1 tokens by the policy of docs/protocol.md §8: one check
// a rule, run in the table's order, the first failure answers. The clock is
// injected: it is the validation time for certificates, CRLs and OCSP
// answers alike. Rule 16 (OCSP) runs when OcspSettings are given (null: OCSP
// off, as the three-argument constructor has it).
// Rule 18 is TrustAnchors', at start.
public final class TokenValidator {
    private final List<TokenCheck> checks = new ArrayList<>();
    private final Clock clock;

    public TokenValidator(TrustAnchors anchors, List<X509CRL> crls, Clock clock) {
        this(anchors, crls, null, clock);
    }

    public TokenValidator(TrustAnchors anchors, List<X509CRL> crls, OcspSettings ocsp, Clock clock) {
        this.clock = clock;
        checks.add(new TokenFormCheck()); // 1
        checks.add(new AlgorithmNameCheck()); // 2
        checks.add(new OriginCheck()); // 3
        checks.add(new CertificateCheck()); // 4
        checks.add(new CardKeyCheck()); // 5
        checks.add(new AlgorithmFitsKeyCheck()); // 6
        checks.add(new CardValidityCheck()); // 7
        checks.add(new TrustPathCheck(anchors)); // 8
        checks.add(new CaValidityCheck()); // 9
        checks.add(new CaConstraintsCheck()); // 10
        checks.add(new StrictX509Check()); // 11
        checks.add(new PathAlgorithmsCheck()); // 12
        checks.add(new KeyUsageCheck()); // 13
        checks.add(new ExtendedKeyUsageCheck()); // 14
        if (!crls.isEmpty()) checks.add(new CrlCheck(crls)); // 15
        if (ocsp != null) checks.add(new OcspCheck(ocsp)); // 16
        checks.add(new SignatureCheck()); // 17
    }

    // The card holder's identity, or ValidationException with the rule's code.
    public Identity validate(JsonNode token, String origin, String nonce) throws ValidationException {
        return validate(token, origin, nonce, clock.instant());
    }

    // The same at a given time: a relying party reads its clock once a
    // request, so the token, the nonce and the session all see one instant.
    public Identity validate(JsonNode token, String origin, String nonce, Instant at) throws ValidationException {
        Candidate c = new Candidate(token, origin, nonce, at);
        for (TokenCheck check : checks) check.run(c);
        return Identity.of(c.certificate, c.algorithm);
    }
}

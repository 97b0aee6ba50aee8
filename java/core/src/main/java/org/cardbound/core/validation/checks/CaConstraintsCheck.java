package org.cardbound.core.validation.checks;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 10: the basicConstraints (CA, pathLen) and name constraints of every
// CA of the path hold: a CA restricted by its issuer stays restricted. The
// JDK's PKIX validator (RFC 5280 §6) judges the path below the top anchor at
// the validation time (it also verifies every signature and refuses unknown
// critical extensions). The JDK ignores a trust anchor's own extensions and
// refuses name constraints given with one, so a self-signed top anchor goes
// into the path too, as its own anchor, where PKIX applies its pathLen and
// name constraints. A top that is not self-signed (an intermediate CA as the
// anchor) cannot: its pathLen is counted here, and name constraints on it
// are refused (fail closed) — the C++ validator, through OpenSSL, applies them.
public final class CaConstraintsCheck implements TokenCheck {
    private static final String NAME_CONSTRAINTS = "2.5.29.30";

    @Override
    public void run(Candidate c) throws ValidationException {
        List<X509Certificate> path = c.path;
        X509Certificate top = path.get(path.size() - 1);
        int pathLen = top.getBasicConstraints();
        int cas = 0; // the CAs between the top anchor and the card that count against its pathLen
        for (int i = 1; i < path.size() - 1; i++)
            if (!TrustPathCheck.selfIssued(path.get(i))) cas++;
        if (pathLen >= 0 && pathLen != Integer.MAX_VALUE && cas > pathLen)
            throw untrusted("the CA " + top.getSubjectX500Principal() + " allows " + pathLen + " CAs below it");
        boolean selfSigned = StrictX509Check.isSelfSigned(top);
        if (!selfSigned && top.getExtensionValue(NAME_CONSTRAINTS) != null)
            throw untrusted("the anchor " + top.getSubjectX500Principal()
                    + " has name constraints, which the JDK cannot apply to an anchor that is not self-signed");
        try {
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(top, null)));
            params.setDate(Date.from(c.at));
            params.setRevocationEnabled(false); // CRLs are rule 15's
            var certPath = CertificateFactory.getInstance("X.509")
                    .generateCertPath(selfSigned ? path : path.subList(0, path.size() - 1));
            CertPathValidator.getInstance("PKIX").validate(certPath, params);
        } catch (GeneralSecurityException e) {
            throw untrusted("certificate path: " + e.getMessage());
        }
    }

    private static ValidationException untrusted(String why) {
        return new ValidationException(ValidationCode.CERT_UNTRUSTED, why);
    }
}

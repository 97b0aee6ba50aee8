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
// anchor) cannot: its name constraints are applied by AnchorNameConstraints
// (directoryName and dNSName; other forms fail closed). Its pathLen cannot bind:
// the path ends at the first anchor (TrustPathCheck), no CA lies below it.
public final class CaConstraintsCheck implements TokenCheck {
    @Override
    public void run(Candidate c) throws ValidationException {
        List<X509Certificate> path = c.path;
        X509Certificate top = path.get(path.size() - 1);
        boolean selfSigned = StrictX509Check.isSelfSigned(top);
        if (!selfSigned) {
            AnchorNameConstraints nc;
            try {
                nc = AnchorNameConstraints.of(top);
            } catch (IllegalArgumentException e) {
                throw untrusted("the anchor " + top.getSubjectX500Principal() + " has name constraints we cannot apply: " + e.getMessage());
            }
            X509Certificate below = path.get(path.size() - 2);
            boolean allowed;
            try {
                allowed = nc == null || nc.allows(below);
            } catch (IllegalArgumentException e) {
                throw untrusted(below.getSubjectX500Principal() + " cannot be held to the name constraints of " + top.getSubjectX500Principal() + ": " + e.getMessage());
            }
            if (!allowed)
                throw untrusted(below.getSubjectX500Principal() + " is outside the name constraints of " + top.getSubjectX500Principal());
        }
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

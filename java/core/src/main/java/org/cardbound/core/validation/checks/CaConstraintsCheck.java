package org.cardbound.core.validation.checks;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
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
// critical extensions); it ignores the anchor's own extensions, so the top
// anchor's name constraints are handed to it and its pathLen counted here.
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
        try {
            TrustAnchor anchor = new TrustAnchor(top, nameConstraintsOf(top));
            PKIXParameters params = new PKIXParameters(Set.of(anchor));
            params.setDate(Date.from(c.at));
            params.setRevocationEnabled(false); // CRLs are rule 15's
            var certPath = CertificateFactory.getInstance("X.509").generateCertPath(path.subList(0, path.size() - 1));
            CertPathValidator.getInstance("PKIX").validate(certPath, params);
        } catch (InvalidAlgorithmParameterException | IllegalArgumentException e) {
            throw untrusted("the anchor's constraints cannot be used: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw untrusted("certificate path: " + e.getMessage());
        }
    }

    private static ValidationException untrusted(String why) {
        return new ValidationException(ValidationCode.CERT_UNTRUSTED, why);
    }

    // The DER NameConstraints of `cert` (getExtensionValue wraps it in an
    // OCTET STRING), or null when it has none.
    static byte[] nameConstraintsOf(X509Certificate cert) {
        byte[] wrapped = cert.getExtensionValue(NAME_CONSTRAINTS);
        if (wrapped == null) return null;
        if (wrapped.length < 2 || wrapped[0] != 0x04) throw new IllegalArgumentException("bad nameConstraints encoding");
        int len = wrapped[1] & 0xFF;
        int at = 2;
        if (len >= 0x80) {
            int n = len & 0x7F;
            if (n < 1 || n > 3 || wrapped.length < 2 + n) throw new IllegalArgumentException("bad nameConstraints length");
            len = 0;
            for (int i = 0; i < n; i++) len = (len << 8) | (wrapped[2 + i] & 0xFF);
            at = 2 + n;
        }
        if (at + len != wrapped.length) throw new IllegalArgumentException("bad nameConstraints length");
        byte[] out = new byte[len];
        System.arraycopy(wrapped, at, out, 0, len);
        return out;
    }
}

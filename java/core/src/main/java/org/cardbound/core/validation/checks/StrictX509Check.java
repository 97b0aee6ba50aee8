package org.cardbound.core.validation.checks;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 11: RFC 5280 as written, the checks OpenSSL's X509_V_FLAG_X509_STRICT
// adds (x509_vfy.c check_extensions): extensions only in v3 certificates; a
// CA's basicConstraints critical, with a keyUsage and a subject key
// identifier; keyCertSign only in a CA; non-empty names; an authority key
// identifier in every certificate but the top one and the self-signed; key
// identifiers never critical. A card PKI is issued by a CA that follows RFC
// 5280; laxness helps only certificates that do not.
public final class StrictX509Check implements TokenCheck {
    private static final String BASIC_CONSTRAINTS = "2.5.29.19";
    private static final String SUBJECT_KEY_ID = "2.5.29.14";
    private static final String AUTHORITY_KEY_ID = "2.5.29.35";
    private static final String SUBJECT_ALT_NAME = "2.5.29.17";
    private static final int KEY_CERT_SIGN = 5;

    @Override
    public void run(Candidate c) throws ValidationException {
        List<X509Certificate> path = c.path;
        for (int i = 0; i < path.size(); i++) {
            X509Certificate cert = path.get(i);
            String who = "the certificate " + cert.getSubjectX500Principal();
            Set<String> critical = cert.getCriticalExtensionOIDs();
            Set<String> nonCritical = cert.getNonCriticalExtensionOIDs();
            boolean hasExtensions = (critical != null && !critical.isEmpty()) || (nonCritical != null && !nonCritical.isEmpty());
            boolean isCritical = critical != null && critical.contains(BASIC_CONSTRAINTS);
            if (hasExtensions && cert.getVersion() != 3) throw refuse(who + " has extensions but is not v3");
            boolean[] ku = cert.getKeyUsage();
            boolean ca = cert.getBasicConstraints() >= 0;
            if (ca) {
                if (!isCritical) throw refuse(who + " is a CA whose basicConstraints is not critical");
                if (ku == null) throw refuse(who + " is a CA without keyUsage");
                if (cert.getExtensionValue(SUBJECT_KEY_ID) == null) throw refuse(who + " is a CA without a subjectKeyIdentifier");
            } else if (ku != null && ku.length > KEY_CERT_SIGN && ku[KEY_CERT_SIGN]) {
                throw refuse(who + " has keyCertSign but is not a CA");
            }
            if (cert.getIssuerX500Principal().getEncoded().length <= 2) throw refuse(who + " has an empty issuer name");
            boolean criticalSan = critical != null && critical.contains(SUBJECT_ALT_NAME);
            if (cert.getSubjectX500Principal().getEncoded().length <= 2 && !criticalSan)
                throw refuse("a certificate of the path has an empty subject name");
            boolean top = i == path.size() - 1;
            boolean selfSigned = isSelfSigned(cert);
            if (!top && !selfSigned && cert.getExtensionValue(AUTHORITY_KEY_ID) == null)
                throw refuse(who + " has no authorityKeyIdentifier");
            if (critical != null && (critical.contains(AUTHORITY_KEY_ID) || critical.contains(SUBJECT_KEY_ID)))
                throw refuse(who + " has a critical key identifier");
        }
    }

    // Self-issued and verified by its own key.
    static boolean isSelfSigned(X509Certificate cert) {
        if (!TrustPathCheck.selfIssued(cert)) return false;
        try {
            cert.verify(cert.getPublicKey());
            return true;
        } catch (Exception notSelfSigned) {
            return false;
        }
    }

    private static ValidationException refuse(String why) {
        return new ValidationException(ValidationCode.CERT_UNTRUSTED, "strict X.509: " + why);
    }
}

package org.cardbound.core.validation.checks;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.TrustAnchors;
import org.cardbound.core.validation.ValidationException;

// Rule 8: a path from the card's certificate to a configured trust anchor;
// an intermediate CA may itself be the anchor. The token carries only the
// card's certificate, and every configured certificate is an anchor, so the
// path is the card and the anchor that issued it: the chain OpenSSL builds
// on the C++ side (X509_V_FLAG_PARTIAL_CHAIN ends it at the first trusted
// certificate, so a root's pathLen does not bind an anchor below it). We chain by name and signature here rather
// than with the JDK's CertPathBuilder, which folds an expired CA into "no
// path" and so could not tell rule 9's CERT_EXPIRED from this rule's
// CERT_UNTRUSTED; the chain is then judged by PKIX (CertPathValidator) in
// rule 10.
public final class TrustPathCheck implements TokenCheck {
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private final TrustAnchors anchors;

    public TrustPathCheck(TrustAnchors anchors) {
        this.anchors = anchors;
    }

    @Override
    public void run(Candidate c) throws ValidationException {
        X509Certificate issuer = issuerOf(c.certificate);
        if (issuer == null)
            throw new ValidationException(ValidationCode.CERT_UNTRUSTED, "certificate path: no trust anchor issued the card's certificate");
        // Built for a TLS client, as OpenSSL builds it (X509_PURPOSE_SSL_CLIENT):
        // a CA whose extendedKeyUsage leaves out clientAuth does not vouch for
        // client logins (OpenSSL's "unsupported certificate purpose").
        if (!allowsClientAuth(issuer))
            throw new ValidationException(ValidationCode.CERT_WRONG_PURPOSE,
                    "certificate path: the CA " + issuer.getSubjectX500Principal() + " is not for client authentication");
        c.path = List.of(c.certificate, issuer);
    }

    private static boolean allowsClientAuth(X509Certificate ca) {
        try {
            List<String> eku = ca.getExtendedKeyUsage();
            return eku == null || eku.contains(CLIENT_AUTH);
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
    }

    static boolean selfIssued(X509Certificate cert) {
        return cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal());
    }

    // The anchor whose name and key issued `cert`.
    private X509Certificate issuerOf(X509Certificate cert) {
        for (X509Certificate a : anchors.certificates()) {
            if (a.equals(cert) || !a.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) continue;
            try {
                cert.verify(a.getPublicKey());
                return a;
            } catch (GeneralSecurityException | RuntimeException notThisOne) {
                // another anchor of the same name may have signed it
            }
        }
        return null;
    }
}

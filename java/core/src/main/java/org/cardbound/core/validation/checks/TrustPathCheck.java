package org.cardbound.core.validation.checks;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
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
// certificate, so a root's pathLen does not bind an anchor below it). As
// OpenSSL does, the issuer is found by name and key identifier; its
// signature on the card is judged with the path (rule 10), after the card's
// purpose for a TLS client, which OpenSSL checks first. We chain by name and signature here rather
// than with the JDK's CertPathBuilder, which folds an expired CA into "no
// path" and so could not tell rule 9's CERT_EXPIRED from this rule's
// CERT_UNTRUSTED; the chain is then judged by PKIX (CertPathValidator) in
// rule 10.
public final class TrustPathCheck implements TokenCheck {
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String SUBJECT_KEY_ID = "2.5.29.14";
    private static final String AUTHORITY_KEY_ID = "2.5.29.35";
    private final TrustAnchors anchors;

    public TrustPathCheck(TrustAnchors anchors) {
        this.anchors = anchors;
    }

    @Override
    public void run(Candidate c) throws ValidationException {
        X509Certificate issuer = issuerOf(c.certificate);
        if (issuer == null)
            throw new ValidationException(ValidationCode.CERT_UNTRUSTED, "certificate path: no trust anchor issued the card's certificate");
        // Built for a TLS client (X509_PURPOSE_SSL_CLIENT): a card whose
        // extendedKeyUsage leaves out clientAuth, or whose keyUsage has neither
        // digitalSignature nor keyAgreement, is the wrong purpose.
        if (!allowsClientAuth(c.certificate) || !allowsTlsClientKey(c.certificate))
            throw new ValidationException(ValidationCode.CERT_WRONG_PURPOSE, "certificate path: the certificate is not for TLS clients");
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

    // The anchor named as `cert`'s issuer (and with its key identifier, when
    // both carry one): the one whose key verifies `cert` if there is one,
    // else the first (its signature then fails with the path, rule 10).
    private X509Certificate issuerOf(X509Certificate cert) {
        byte[] akid = keyId(cert.getExtensionValue(AUTHORITY_KEY_ID), true);
        X509Certificate byName = null;
        for (X509Certificate a : anchors.certificates()) {
            if (a.equals(cert) || !a.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) continue;
            byte[] skid = keyId(a.getExtensionValue(SUBJECT_KEY_ID), false);
            if (akid != null && skid != null && !Arrays.equals(akid, skid)) continue;
            try {
                cert.verify(a.getPublicKey());
                return a;
            } catch (GeneralSecurityException | RuntimeException notThisOne) {
                if (byName == null) byName = a;
            }
        }
        return byName;
    }

    // The key identifier in a subjectKeyIdentifier (OCTET STRING) or an
    // authorityKeyIdentifier ([0] of a SEQUENCE), each inside the extension's
    // OCTET STRING; null when absent or not in that short form.
    private static byte[] keyId(byte[] ext, boolean authority) {
        if (ext == null || ext.length < 4 || ext[0] != 0x04 || (ext[1] & 0xFF) != ext.length - 2) return null;
        int at = 2;
        if (authority) {
            if (ext[at] != 0x30 || (ext[at + 1] & 0xFF) != ext.length - 4) return null;
            at += 2;
            if (at + 2 > ext.length || (ext[at] & 0xFF) != 0x80) return null;
        } else if (ext[at] != 0x04) {
            return null;
        }
        int len = ext[at + 1] & 0xFF;
        if (len >= 0x80 || at + 2 + len > ext.length) return null;
        return Arrays.copyOfRange(ext, at + 2, at + 2 + len);
    }

    private static boolean allowsTlsClientKey(X509Certificate cert) {
        boolean[] ku = cert.getKeyUsage();
        return ku == null || (ku.length > 0 && ku[0]) || (ku.length > 4 && ku[4]); // digitalSignature, keyAgreement
    }
}

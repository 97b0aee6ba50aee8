package org.cardbound.core.validation.checks;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 4: unverifiedCertificate is exactly one DER certificate (no trailing
// bytes, no PEM) whose public key can be read.
public final class CertificateCheck implements TokenCheck {
    @Override
    public void run(Candidate c) throws ValidationException {
        byte[] der = c.token.certificate();
        // DER starts with a SEQUENCE; the JDK's factory would also take PEM text.
        if (der.length == 0 || der[0] != 0x30) throw malformed("unverifiedCertificate is not a DER certificate");
        try {
            ByteArrayInputStream in = new ByteArrayInputStream(der);
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            if (in.available() != 0 || cert.getEncoded().length != der.length)
                throw malformed("unverifiedCertificate has bytes after the certificate");
            if (cert.getPublicKey() == null) throw malformed("the certificate's key cannot be read");
            c.certificate = cert;
        } catch (CertificateException | IllegalArgumentException e) {
            throw malformed("unverifiedCertificate is not a DER certificate");
        }
    }

    private static ValidationException malformed(String why) {
        return new ValidationException(ValidationCode.TOKEN_MALFORMED, why);
    }
}

package org.cardbound.core.validation.checks;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 4: unverifiedCertificate is exactly one DER certificate (no trailing
// bytes, no PEM) whose public key can be read, as OpenSSL reads it on the
// C++ side.
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
            if (!readable(cert.getPublicKey())) throw malformed("the certificate's key cannot be read");
            c.certificate = cert;
        } catch (CertificateException | IllegalArgumentException e) {
            throw malformed("unverifiedCertificate is not a DER certificate");
        }
    }

    // A key OpenSSL would read: of an algorithm the JDK knows (an unknown
    // OID comes back as a bare key named by that OID), and an EC point on
    // its curve (OpenSSL checks it while decoding; the JDK does not).
    private static boolean readable(PublicKey key) {
        if (key == null || key.getAlgorithm().matches("[0-9.]+")) return false;
        if (!(key instanceof ECPublicKey)) return true;
        ECPublicKey ec = (ECPublicKey) key;
        if (!(ec.getParams().getCurve().getField() instanceof ECFieldFp)) return false;
        BigInteger p = ((ECFieldFp) ec.getParams().getCurve().getField()).getP();
        BigInteger x = ec.getW().getAffineX();
        BigInteger y = ec.getW().getAffineY();
        if (x == null || y == null || x.signum() < 0 || y.signum() < 0 || x.compareTo(p) >= 0 || y.compareTo(p) >= 0) return false;
        BigInteger a = ec.getParams().getCurve().getA();
        BigInteger b = ec.getParams().getCurve().getB();
        return y.pow(2).mod(p).equals(x.pow(3).add(a.multiply(x)).add(b).mod(p));
    }

    private static ValidationException malformed(String why) {
        return new ValidationException(ValidationCode.TOKEN_MALFORMED, why);
    }
}

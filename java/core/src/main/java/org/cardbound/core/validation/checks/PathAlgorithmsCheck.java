package org.cardbound.core.validation.checks;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.security.spec.PSSParameterSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cardbound.core.Keys;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 12: every certificate of the path but the top anchor is signed with
// SHA-256, SHA-384 or SHA-512 (RSA PKCS#1 v1.5, RSA-PSS or ECDSA), and every
// key of the path, the anchor's included, is RSA >= 2048 or EC on P-256,
// P-384 or P-521. No MD5, no SHA-1, no SHA-224; the anchor's self-signature
// is not judged, because the anchor is trusted by configuration.
public final class PathAlgorithmsCheck implements TokenCheck {
    private static final Map<String, String> SIGNATURES = Map.of(
            "1.2.840.113549.1.1.11", "sha256WithRSAEncryption",
            "1.2.840.113549.1.1.12", "sha384WithRSAEncryption",
            "1.2.840.113549.1.1.13", "sha512WithRSAEncryption",
            "1.2.840.10045.4.3.2", "ecdsa-with-SHA256",
            "1.2.840.10045.4.3.3", "ecdsa-with-SHA384",
            "1.2.840.10045.4.3.4", "ecdsa-with-SHA512");
    private static final String RSA_PSS = "1.2.840.113549.1.1.10";
    private static final Set<String> PSS_HASHES = Set.of("SHA-256", "SHA-384", "SHA-512");

    @Override
    public void run(Candidate c) throws ValidationException {
        List<X509Certificate> path = c.path;
        for (int i = 0; i < path.size(); i++) {
            X509Certificate cert = path.get(i);
            String who = "the certificate " + cert.getSubjectX500Principal();
            var why = Keys.policyProblem(cert.getPublicKey());
            if (why.isPresent()) throw untrusted(who + " has " + why.get());
            if (i < path.size() - 1 && !signatureAllowed(cert)) throw untrusted(who + " is signed with " + cert.getSigAlgName());
        }
    }

    private static boolean signatureAllowed(X509Certificate cert) {
        String oid = cert.getSigAlgOID();
        if (SIGNATURES.containsKey(oid)) return true;
        if (!RSA_PSS.equals(oid) || cert.getSigAlgParams() == null) return false;
        try {
            AlgorithmParameters p = AlgorithmParameters.getInstance("RSASSA-PSS");
            p.init(cert.getSigAlgParams());
            PSSParameterSpec spec = p.getParameterSpec(PSSParameterSpec.class);
            return PSS_HASHES.contains(spec.getDigestAlgorithm());
        } catch (GeneralSecurityException | java.io.IOException e) {
            return false;
        }
    }

    private static ValidationException untrusted(String why) {
        return new ValidationException(ValidationCode.CERT_UNTRUSTED, why);
    }
}

package org.cardbound.core.validation;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cardbound.core.Keys;

// The configured trust anchors, read and judged once at start (rule 18):
// every one a CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign
// when it has a keyUsage, a key of the policy). A file with anything else is
// refused with the file and the certificate named: an anchor is never used
// silently as something it is not.
public final class TrustAnchors {
    private static final long MAX_FILE_BYTES = 1024 * 1024;
    private static final int MAX_ANCHORS = 256;
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----", Pattern.DOTALL);
    private static final int KEY_CERT_SIGN = 5;

    private final List<X509Certificate> anchors;

    private TrustAnchors(List<X509Certificate> anchors) {
        this.anchors = List.copyOf(anchors);
    }

    public List<X509Certificate> certificates() {
        return anchors;
    }

    // Throws IllegalArgumentException naming the file (and certificate) at fault.
    public static TrustAnchors fromFiles(List<Path> files) {
        if (files.isEmpty()) throw new IllegalArgumentException("no trust anchors configured");
        List<X509Certificate> all = new ArrayList<>();
        for (Path file : files) all.addAll(readFile(file));
        if (all.size() > MAX_ANCHORS) throw new IllegalArgumentException("more than " + MAX_ANCHORS + " trust anchors");
        return new TrustAnchors(all);
    }

    public static TrustAnchors of(List<X509Certificate> certificates) {
        for (X509Certificate c : certificates)
            problem(c).ifPresent(why -> {
                throw new IllegalArgumentException("the trust anchor " + c.getSubjectX500Principal() + " " + why);
            });
        return new TrustAnchors(certificates);
    }

    private static List<X509Certificate> readFile(Path file) {
        String text;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) throw new IllegalArgumentException(file + " is larger than 1 MiB");
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        List<X509Certificate> out = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (!m.group(1).equals("CERTIFICATE"))
                throw new IllegalArgumentException(file + " holds a " + m.group(1) + ", not only CA certificates");
            X509Certificate cert;
            try {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
            } catch (CertificateException | IllegalArgumentException e) {
                throw new IllegalArgumentException(file + " holds a certificate that cannot be read");
            }
            Optional<String> why = problem(cert);
            if (why.isPresent())
                throw new IllegalArgumentException(file + ": the certificate " + cert.getSubjectX500Principal() + " " + why.get());
            out.add(cert);
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + " holds no PEM certificate");
        return out;
    }

    private static Optional<String> problem(X509Certificate cert) {
        if (cert.getBasicConstraints() < 0) return Optional.of("is not a CA certificate (no basicConstraints CA:TRUE)");
        boolean[] ku = cert.getKeyUsage();
        if (ku != null && (ku.length <= KEY_CERT_SIGN || !ku[KEY_CERT_SIGN]))
            return Optional.of("has a keyUsage without keyCertSign");
        return Keys.policyProblem(cert.getPublicKey()).map(k -> "has " + k);
    }
}

package org.cardbound.core.validation;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.util.ArrayList;
import java.util.List;

// CRL files (PEM or DER), read once at start; a file that holds no CRL is
// refused then, not found out at the first login. Files only in this part:
// the C++ side also fetches http:// CRLs and re-reads changed files.
public final class RevocationLists {
    private static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

    private RevocationLists() {}

    public static List<X509CRL> fromFiles(List<Path> files) {
        List<X509CRL> out = new ArrayList<>();
        for (Path file : files) {
            try {
                if (Files.size(file) > MAX_FILE_BYTES) throw new IllegalArgumentException(file + " is larger than 16 MiB");
                byte[] bytes = Files.readAllBytes(file);
                var crls = CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(bytes));
                if (crls.isEmpty()) throw new IllegalArgumentException(file + " holds no CRL");
                for (var crl : crls) out.add((X509CRL) crl);
            } catch (IOException | CRLException | CertificateException e) {
                throw new IllegalArgumentException("cannot read the CRL " + file + ": " + e.getMessage());
            }
        }
        return out;
    }
}

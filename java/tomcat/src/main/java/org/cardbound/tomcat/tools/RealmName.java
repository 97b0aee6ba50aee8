package org.cardbound.tomcat.tools;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

// Prints the user name a Tomcat Realm looks up for a card's certificate (its
// subject as X509SubjectDnRetriever gives it: X500Principal.toString()), the
// name to put in tomcat-users.xml or the Realm's user table.
public final class RealmName {
    private RealmName() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println("Usage: java -cp cardbound-tomcat.jar org.cardbound.tomcat.tools.RealmName CERT.pem|CERT.der ...");
            System.out.println("Prints, one a line, the user name a Tomcat Realm gets for each card certificate.");
            System.exit(args.length == 0 ? 2 : 0);
        }
        CertificateFactory f = CertificateFactory.getInstance("X.509");
        for (String file : args) {
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                System.out.println(((X509Certificate) f.generateCertificate(in)).getSubjectX500Principal().toString());
            }
        }
    }
}

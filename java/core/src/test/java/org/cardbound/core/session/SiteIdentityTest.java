package org.cardbound.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import org.cardbound.core.Algorithm;
import org.cardbound.core.Pem;
import org.cardbound.core.TestPki;
import org.cardbound.core.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// A site's TLS key and chain as the signer of its messages (what the Tomcat
// authenticator takes from the HTTPS connector): the algorithm follows the
// key as cardbound-server's default_algorithm does, and a key that is not
// the certificate's is refused at start.
class SiteIdentityTest {
    private static TestPki pki;
    private static Path p256Key, p384Key, rsaKey;
    private static Issued p256, p384, rsa;

    @BeforeAll
    static void make() throws Exception {
        pki = new TestPki();
        p256Key = pki.key("p256", "ec:P-256");
        p384Key = pki.key("p384", "ec:P-384");
        rsaKey = pki.key("rsa", "rsa:2048");
        Issued root = pki.root("root", "/CN=Root", pki.key("root", "ec:P-256"), 30,
                TestPki.CA_EXTENSIONS.replace("\nauthorityKeyIdentifier=keyid", ""));
        p256 = pki.issue("site256", "/CN=localhost", p256Key, root, "basicConstraints=CA:FALSE");
        p384 = pki.issue("site384", "/CN=localhost", p384Key, root, "basicConstraints=CA:FALSE");
        rsa = pki.issue("sitersa", "/CN=localhost", rsaKey, root, "basicConstraints=CA:FALSE");
    }

    @AfterAll
    static void clean() {
        pki.close();
    }

    @Test
    void theAlgorithmFollowsTheKey() throws Exception {
        assertEquals(Algorithm.ES256, SiteIdentity.of(Pem.privateKey(p256Key), List.of(p256.certificate())).algorithm());
        assertEquals(Algorithm.ES384, SiteIdentity.of(Pem.privateKey(p384Key), List.of(p384.certificate())).algorithm());
        assertEquals(Algorithm.RS256, SiteIdentity.of(Pem.privateKey(rsaKey), List.of(rsa.certificate())).algorithm());
    }

    @Test
    void aKeyOfAnotherKindThanTheCertificateIsRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SiteIdentity.of(Pem.privateKey(rsaKey), List.of(p256.certificate())));
        assertTrue(e.getMessage().contains("not the key of its certificate"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SiteIdentity.of(Pem.privateKey(p256Key), List.of()));
    }

    @Test
    void pemRefusesWhatItCannotRead() throws Exception {
        Path notPkcs8 = pki.dir.resolve("sec1.pem");
        Files.writeString(notPkcs8, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        var e = assertThrows(GeneralSecurityException.class, () -> Pem.privateKey(notPkcs8));
        assertTrue(e.getMessage().contains("openssl pkcs8 -topk8"), e.getMessage());
    }
}

package org.cardbound.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

// A test PKI made at test time with the openssl command (the JDK has no
// certificate builder), in a temporary folder: keys, CA and card
// certificates with exactly the extensions a test names, CRLs. Every
// certificate starts now; tests move the validator's clock instead.
public final class TestPki implements AutoCloseable {
    public final Path dir;
    private int serial = 1;

    public TestPki() throws IOException {
        dir = Files.createTempDirectory("cardbound-java-pki");
    }

    // Removes the folder and everything made in it.
    @Override
    public void close() {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new IllegalStateException("cannot remove " + dir, e);
        }
    }

    // A certificate and its key's files.
    public record Issued(Path cert, Path key, X509Certificate certificate) {}

    // The extensions of a CA: RFC 5280 as written.
    public static final String CA_EXTENSIONS = String.join("\n",
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,keyCertSign,cRLSign",
            "subjectKeyIdentifier=hash",
            "authorityKeyIdentifier=keyid");
    // The extensions of a card's authentication certificate.
    public static final String CARD_EXTENSIONS = String.join("\n",
            "basicConstraints=CA:FALSE",
            "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=clientAuth",
            "subjectKeyIdentifier=hash",
            "authorityKeyIdentifier=keyid");

    // "ec:P-256", "ec:P-384", "ec:P-521", "ec:secp256k1", "rsa:2048", "rsa:1024".
    public Path key(String name, String kind) {
        Path key = dir.resolve(name + ".key");
        String[] k = kind.split(":");
        if (k[0].equals("ec"))
            run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + k[1], "-out", key.toString());
        else
            run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:" + k[1], "-out", key.toString());
        return key;
    }

    // A self-signed root.
    public Issued root(String name, String subject, Path key, int days, String extensions) {
        Path cfg = config(name, extensions);
        Path cert = dir.resolve(name + ".pem");
        run("openssl", "req", "-new", "-x509", "-key", key.toString(), "-subj", subject, "-days", Integer.toString(days),
                "-sha256", "-set_serial", Integer.toString(serial++), "-config", cfg.toString(), "-extensions", "v3",
                "-out", cert.toString());
        return new Issued(cert, key, read(cert));
    }

    // A certificate for `key` issued by `ca`, hashed with `digest` (sha256, sha1, ...).
    public Issued issue(String name, String subject, Path key, Issued ca, int days, String extensions, String digest) {
        Path csr = dir.resolve(name + ".csr");
        Path cert = dir.resolve(name + ".pem");
        Path cfg = config(name, extensions);
        run("openssl", "req", "-new", "-key", key.toString(), "-subj", subject, "-config", cfg.toString(), "-out", csr.toString());
        run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", ca.cert.toString(), "-CAkey", ca.key.toString(),
                "-set_serial", Integer.toString(serial++), "-days", Integer.toString(days), "-" + digest,
                "-extfile", cfg.toString(), "-extensions", "v3", "-out", cert.toString());
        return new Issued(cert, key, read(cert));
    }

    public Issued issue(String name, String subject, Path key, Issued ca, String extensions) {
        return issue(name, subject, key, ca, 365, extensions, "sha256");
    }

    // A CRL of `ca` listing `revoked`, valid for `days` from now.
    public Path crl(String name, Issued ca, int days, Issued... revoked) {
        Path base = dir.resolve(name + "-ca");
        try {
            Files.createDirectories(base);
            StringBuilder index = new StringBuilder();
            for (Issued r : revoked) {
                String hex = r.certificate.getSerialNumber().toString(16).toUpperCase();
                if (hex.length() % 2 == 1) hex = "0" + hex; // openssl's index wants whole bytes
                index.append("R\t991231235959Z\t250101000000Z\t").append(hex).append("\tunknown\t/CN=revoked\n");
            }
            Files.writeString(base.resolve("index.txt"), index.toString());
            Files.writeString(base.resolve("crlnumber"), "01\n");
            Files.writeString(base.resolve("ca.cnf"), String.join("\n",
                    "[ca]", "default_ca = ca_default", "[ca_default]", "database = " + base.resolve("index.txt"),
                    "crlnumber = " + base.resolve("crlnumber"), "default_md = sha256", "crl_extensions = crl_ext",
                    "[crl_ext]", "authorityKeyIdentifier=keyid", ""));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Path crl = dir.resolve(name + ".crl");
        run("openssl", "ca", "-gencrl", "-batch", "-config", base.resolve("ca.cnf").toString(), "-keyfile", ca.key.toString(),
                "-cert", ca.cert.toString(), "-crldays", Integer.toString(days), "-out", crl.toString());
        return crl;
    }

    // One PEM file holding these certificates.
    public Path bundle(String name, Issued... certs) {
        Path out = dir.resolve(name + ".pem");
        try {
            StringBuilder s = new StringBuilder();
            for (Issued c : certs) s.append(Files.readString(c.cert));
            Files.writeString(out, s.toString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    public static PrivateKey privateKey(Path pem) {
        try {
            return Pem.privateKey(pem);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the key " + pem, e);
        }
    }

    public static X509Certificate read(Path pem) {
        try {
            return Pem.certificate(pem);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the certificate " + pem, e);
        }
    }

    private Path config(String name, String extensions) {
        Path cfg = dir.resolve(name + ".cnf");
        try {
            Files.writeString(cfg, "[req]\ndistinguished_name = dn\n[dn]\n[v3]\n" + extensions + "\n");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return cfg;
    }

    // Runs a command, failing the test with its output when it fails.
    public static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " took too long");
            }
            if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(String.join(" ", command) + ": " + e, e);
        }
    }
}

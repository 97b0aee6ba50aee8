package org.cardbound.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cardbound.core.TestPki.Issued;
import org.cardbound.core.validation.OcspTransport;

// `openssl ocsp` as the responder of a test CA, with an index file of the
// certificates' statuses (as tests/bench runs it): in-process through the
// injectable transport (the request handed to `openssl ocsp -reqin`, the
// answer read from `-respout`), or as a real HTTP responder on a loopback
// port (`serve`).
public final class OpensslOcsp {
    private final TestPki pki;
    private final Issued ca;
    private final Path index;
    private final StringBuilder lines = new StringBuilder();
    private int asked;

    public OpensslOcsp(TestPki pki, Issued ca, String name) {
        this.pki = pki;
        this.ca = ca;
        this.index = pki.dir.resolve(name + "-index.txt");
        write();
    }

    // The certificate is known to the responder, good or revoked.
    public OpensslOcsp add(Issued cert, boolean revoked) {
        String hex = cert.certificate().getSerialNumber().toString(16).toUpperCase();
        if (hex.length() % 2 == 1) hex = "0" + hex;
        lines.append(revoked ? "R\t991231235959Z\t250101000000Z\t" : "V\t991231235959Z\t\t").append(hex)
                .append("\tunknown\t/CN=card").append(hex).append('\n');
        write();
        return this;
    }

    private void write() {
        try {
            Files.writeString(index, lines.toString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // Answers signed by `signer` (the CA itself, or another certificate),
    // with a nextUpdate `minutes` after now; `flipNonce` changes the
    // request's last byte (the nonce's) before openssl sees it, so the
    // answer carries another nonce. `urls` records where requests went.
    public OcspTransport transport(Issued signer, int minutes, boolean flipNonce, List<String> urls) {
        return (url, request) -> {
            if (urls != null) urls.add(url);
            int n = ++asked;
            Path req = pki.dir.resolve("ocsp-req-" + n + ".der");
            Path resp = pki.dir.resolve("ocsp-resp-" + n + ".der");
            byte[] r = request.clone();
            if (flipNonce) r[r.length - 1] ^= 1;
            Files.write(req, r);
            TestPki.run("openssl", "ocsp", "-index", index.toString(), "-CA", ca.cert().toString(), "-rsigner",
                    signer.cert().toString(), "-rkey", signer.key().toString(), "-reqin", req.toString(), "-respout",
                    resp.toString(), "-nmin", Integer.toString(minutes));
            return new OcspTransport.Response(200, Files.readAllBytes(resp));
        };
    }

    // A real HTTP responder (openssl ocsp -port 0, the port it took), signed
    // by the CA; its URL is http://127.0.0.1:PORT/.
    public record Served(Process process, String url) implements AutoCloseable {
        @Override
        public void close() {
            process.destroy();
        }
    }

    public Served serve(int minutes) throws IOException, InterruptedException {
        Path log = pki.dir.resolve("ocsp-server-" + (++asked) + ".log");
        Process p = new ProcessBuilder("openssl", "ocsp", "-index", index.toString(), "-CA", ca.cert().toString(), "-rsigner",
                ca.cert().toString(), "-rkey", ca.key().toString(), "-port", "0", "-nmin", Integer.toString(minutes))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Pattern accept = Pattern.compile("ACCEPT \\S*:([0-9]+) ");
        for (int i = 0; i < 200 && p.isAlive(); i++) {
            Matcher m = accept.matcher(Files.readString(log));
            if (m.find()) return new Served(p, "http://127.0.0.1:" + m.group(1) + "/");
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new IllegalStateException("openssl ocsp did not start: " + Files.readString(log));
    }
}

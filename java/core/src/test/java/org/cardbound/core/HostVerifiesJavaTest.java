package org.cardbound.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.cardbound.core.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Across languages, Java to C++: a challenge the Java side signs passes the
// real cardbound-host's verify-server (docs/protocol.md §3, the host's own
// chain, name, nonce and signature checks), for EC and RSA keys, and a
// changed one is refused with ERR_SERVER_NOT_TRUSTED. The host runs as a
// browser runs it: native messaging frames on stdio, no card needed.
class HostVerifiesJavaTest {
    static final String ORIGIN = "https://localhost:8443";
    static TestPki pki;
    static Issued root;
    static Path host;

    @BeforeAll
    static void makePki() throws Exception {
        String built = System.getProperty("cardbound.host");
        org.junit.jupiter.api.Assertions.assertTrue(built != null && Files.isExecutable(Path.of(built)),
                "cardbound-host is not built (cmake --build build --target cardbound-host)");
        host = Path.of(built);
        pki = new TestPki();
        root = pki.root("root", "/CN=Host Test Root", pki.key("root", "ec:P-256"), 3650,
                "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash");
    }

    @AfterAll
    static void removePki() {
        if (pki != null) pki.close();
    }

    // One cardbound-host over stdio, framed as the browser frames.
    static final class HostProcess implements AutoCloseable {
        final Process process;
        final OutputStream in;
        final DataInputStream out;
        int id = 0;

        HostProcess(Path dir) throws IOException {
            Path config = dir.resolve("host.json");
            Files.writeString(config, "{\"pkcs11Modules\": [], \"caFiles\": [\"" + root.cert() + "\"], \"useSystemTrust\": false}");
            ProcessBuilder b = new ProcessBuilder(host.toString(), "chrome-extension://test/");
            b.environment().put("CARDBOUND_HOST_CONFIG", config.toString());
            b.environment().put("CARDBOUND_HOST_LOG", dir.resolve("host.log").toString());
            b.environment().put("HOME", dir.toString());
            b.redirectError(ProcessBuilder.Redirect.DISCARD);
            process = b.start();
            in = process.getOutputStream();
            out = new DataInputStream(process.getInputStream());
        }

        // Sends a request and returns its answer, skipping the host's events.
        JsonNode call(String command, ObjectNode arguments) throws IOException {
            ObjectNode msg = Json.mapper().createObjectNode().put("id", Integer.toString(++id)).put("command", command).put("origin", ORIGIN);
            if (arguments != null) msg.set("arguments", arguments);
            byte[] body = Json.write(msg).getBytes(StandardCharsets.UTF_8);
            in.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(body.length).array());
            in.write(body);
            in.flush();
            while (true) {
                byte[] head = out.readNBytes(4);
                if (head.length < 4) throw new IOException("the host closed its output");
                int len = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt();
                if (len < 0 || len > 1024 * 1024) throw new IOException("a frame of " + len + " bytes");
                JsonNode answer = Json.parse(new String(readExactly(out, len), StandardCharsets.UTF_8));
                if (answer.has("id") && answer.get("id").asText().equals(Integer.toString(id))) return answer;
            }
        }

        private static byte[] readExactly(InputStream s, int len) throws IOException {
            byte[] b = s.readNBytes(len);
            if (b.length != len) throw new IOException("a short frame");
            return b;
        }

        @Override
        public void close() {
            process.destroy();
        }
    }

    static ServerChallenge challenge(Issued server, String hostNonce, String origin) throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        return new ServerChallenge(origin, Nonces.fresh(), hostNonce, Times.format(now), Times.format(now.plus(Duration.ofMinutes(2))),
                List.of(server.certificate().getEncoded(), root.certificate().getEncoded()), Algorithm.ES256, new byte[0]);
    }

    interface ChallengeFor {
        ServerChallenge make(String hostNonce) throws Exception;
    }

    // A fresh login, and verify-server's answer to the challenge made for its host nonce.
    static JsonNode verifyServer(HostProcess h, ChallengeFor challenge) throws Exception {
        JsonNode begin = h.call("begin-login", null);
        assertNull(begin.get("error"), begin.toString());
        ObjectNode args = Json.mapper().createObjectNode().put("loginId", begin.get("result").get("loginId").textValue());
        ServerChallenge c = challenge.make(begin.get("result").get("hostNonce").textValue());
        return h.call("verify-server", args.set("challenge", c.toJson()));
    }

    @Test
    void javaSignedChallengesPassVerifyServer() throws Exception {
        String server = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                + "subjectAltName=DNS:localhost\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid";
        Path dir = Files.createDirectories(pki.dir.resolve("host"));
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (HostProcess h = new HostProcess(dir)) {
                for (String kind : List.of("ec:P-256", "ec:P-384", "rsa:2048")) {
                    String name = "server-" + kind.replace(':', '-');
                    Issued s = pki.issue(name, "/CN=localhost", pki.key(name, kind), root, server);
                    for (Algorithm alg : Algorithm.values()) {
                        if (!Keys.fits(alg, s.certificate().getPublicKey())) continue;
                        ServerChallenge[] first = new ServerChallenge[1];
                        JsonNode answer = verifyServer(h, nonce -> first[0] = challenge(s, nonce, ORIGIN).signedWith(TestPki.privateKey(s.key()), alg));
                        assertNull(answer.get("error"), alg + " with " + kind + ": " + answer);
                        // The first challenge's signature on the next login's challenge: it covers another host nonce.
                        JsonNode refused = verifyServer(h, nonce -> new ServerChallenge(ORIGIN, first[0].serverNonce(), nonce,
                                first[0].issuedAt(), first[0].expiresAt(), first[0].certificateChain(), alg, first[0].signature()));
                        assertEquals("ERR_SERVER_NOT_TRUSTED", refused.path("error").path("code").asText(), refused.toString());
                        assertEquals("signature", refused.path("error").path("reason").asText(), refused.toString());
                    }
                }
            }
        });
    }
}

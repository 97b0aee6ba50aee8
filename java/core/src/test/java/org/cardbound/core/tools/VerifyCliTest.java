package org.cardbound.core.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cardbound.core.TestFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

// The Java CLI keeps cardbound-verify's interface: 0 and the identity when
// valid, 1 and the code when not, 2 on usage errors (server/tests/verify_vector_test.sh).
class VerifyCliTest {
    static Path vectors;
    static String origin = "https://ria.ee";
    static String nonce;

    @TempDir
    Path work;

    @BeforeAll
    static void read() throws Exception {
        vectors = TestFiles.webEidVectors();
        String text = Files.readString(vectors.resolve("valid-es384.json"));
        nonce = org.cardbound.core.Json.parse(text).get("challengeNonce").textValue();
    }

    record Result(int exit, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Verify.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Result verify(String token, String origin, String nonce, String... more) {
        String[] base = {"--trust", vectors.resolve("trusted-ca.pem").toString(), "--ocsp", "off", "--token", token,
            "--origin", origin, "--nonce", nonce};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return run(all);
    }

    String vector() {
        return vectors.resolve("valid-es384.json").toString();
    }

    @Test
    void validPrintsTheIdentity() {
        Result r = verify(vector(), origin, nonce, "--at", "2023-07-22T00:00:00Z");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("\"personalCode\": \"PNOEE-38001085718\""), r.out());
    }

    @Test
    void printsWhatCardboundVerifyPrints() throws Exception {
        String verify = System.getProperty("cardbound.verify");
        org.junit.jupiter.api.Assertions.assertTrue(verify != null && Files.isExecutable(Path.of(verify)), "cardbound-verify is not built");
        String[] args = {"--trust", vectors.resolve("trusted-ca.pem").toString(), "--ocsp", "off", "--token", vector(),
            "--origin", origin, "--nonce", nonce, "--at", "2023-07-22T00:00:00Z"};
        String[] command = new String[args.length + 1];
        command[0] = verify;
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String cpp = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertEquals(cpp, run(args).out(), "the identity JSON byte for byte");
    }

    @Test
    void invalidPrintsTheCode() throws Exception {
        Result r = verify(vector(), origin, nonce);
        assertEquals(1, r.exit());
        assertEquals("CERT_EXPIRED\n", r.out());
        Path notJson = Files.writeString(work.resolve("not.json"), "not json at all");
        assertEquals("TOKEN_MALFORMED\n", verify(notJson.toString(), origin, nonce, "--at", "2023-07-22T00:00:00Z").out());
        Path array = Files.writeString(work.resolve("array.json"), "[1, 2]");
        assertEquals(1, verify(array.toString(), origin, nonce).exit());
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        assertEquals(2, run().exit());
        assertEquals(2, run("--token").exit());
        assertEquals(2, verify(vector(), "https://ria.ee/", nonce).exit(), "a non-canonical --origin");
        assertEquals(2, verify(vector(), "http://ria.ee", nonce).exit(), "an http --origin");
        assertEquals(2, verify(vector(), origin, nonce, "--at", "yesterday").exit());
        assertEquals(2, verify(vector(), origin, nonce, "--ocsp", "https://ocsp.example/").exit(), "http:// responders only, as cardbound-verify");
        assertEquals(2, verify(vector(), origin, nonce, "--ocsp", "sometimes").exit());
        assertEquals(2, verify(work.resolve("missing.json").toString(), origin, nonce).exit());
        Path notCa = Files.writeString(work.resolve("empty.pem"), "nothing here");
        assertEquals(2, run("--trust", notCa.toString(), "--ocsp", "off", "--token", vector(), "--origin", origin, "--nonce", nonce).exit());
        assertEquals(0, run("--help").exit());
    }
}

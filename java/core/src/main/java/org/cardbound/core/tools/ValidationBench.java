package org.cardbound.core.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.cardbound.core.Algorithm;
import org.cardbound.core.Base64Text;
import org.cardbound.core.Digests;
import org.cardbound.core.Json;
import org.cardbound.core.Nonces;
import org.cardbound.core.Pem;
import org.cardbound.core.validation.OcspSettings;
import org.cardbound.core.validation.TokenValidator;
import org.cardbound.core.validation.TrustAnchors;

// Token validations per second in a warmed JVM, one thread: the case of
// cardbound-validation-bench's "chain" mode (an EC P-256 card of the bench's
// PKI, the issuing and root CAs both trust anchors as cardbound-server
// --demo has them, OCSP asked once and then answered from the cache).
// Then the crypto of one presence round in the same JVM: an ES256 signature
// (the site's presence challenge) and an ES256 verification (the card's
// proof), the limit of presence proofs per core. Prints "validations N /s"
// "verify N /s" (one ES256 verification) and "presence-crypto N /s"; scripts/bench-java sets them beside the C++
// and HTTP figures of the same run.
//
//   java -cp ... org.cardbound.core.tools.ValidationBench PKI_DIR [SECONDS]
public final class ValidationBench {
    private ValidationBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ValidationBench PKI_DIR [SECONDS]");
            System.exit(2);
        }
        Path pki = Path.of(args[0]);
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3.0;
        X509Certificate card = Pem.certificate(pki.resolve("client-p256.pem"));
        PrivateKey key = Pem.privateKey(pki.resolve("client-p256.key"));
        String origin = "https://localhost:8443";
        String nonce = Nonces.fresh();
        Signature s = Algorithm.ES256.newSignature();
        s.initSign(key);
        s.update(Digests.loginSigningInput(Algorithm.ES256, origin, nonce));
        ObjectNode token = Json.mapper().createObjectNode();
        token.put("unverifiedCertificate", Base64Text.encode(card.getEncoded())).put("algorithm", "ES256")
                .put("signature", Base64Text.encode(s.sign())).put("format", "web-eid:1.0");

        TokenValidator validator = new TokenValidator(TrustAnchors.fromFiles(List.of(pki.resolve("ca-chain.pem"))), List.of(),
                OcspSettings.of(null, false), Clock.systemUTC());
        Instant now = Instant.now();
        validator.validate(token, origin, nonce, now); // fills the OCSP cache
        System.out.printf("validations %.0f /s%n", warmRate(() -> validator.validate(token, origin, nonce, now), seconds));

        // The floor of a validation in the JDK: the token's one ES256
        // verification (the JDK caches a certificate's verified signature,
        // so the path costs nothing more after the first).
        byte[] loginInput = Digests.loginSigningInput(Algorithm.ES256, origin, nonce);
        byte[] tokenSignature = Base64Text.decode(token.get("signature").textValue()).orElseThrow();
        System.out.printf("verify %.0f /s%n", warmRate(() -> verify(card, loginInput, tokenSignature), seconds));

        byte[] input = Digests.presenceSigningInput(Algorithm.ES256, origin, "tag", nonce);
        System.out.printf("presence-crypto %.0f /s%n", warmRate(() -> {
            Signature signer = Algorithm.ES256.newSignature();
            signer.initSign(key);
            signer.update(input);
            verify(card, input, signer.sign());
        }, seconds));
    }

    @FunctionalInterface
    private interface Task {
        void run() throws Exception;
    }

    private static void verify(X509Certificate card, byte[] input, byte[] signature) throws Exception {
        Signature verifier = Algorithm.ES256.newSignature();
        verifier.initVerify(card.getPublicKey());
        verifier.update(input);
        if (!verifier.verify(signature)) throw new IllegalStateException("a signature did not verify");
    }

    // Runs the task for `seconds` to warm the JIT up, then as long again, counted.
    private static double warmRate(Task task, double seconds) throws Exception {
        rate(task, seconds);
        return rate(task, seconds);
    }

    private static double rate(Task task, double seconds) throws Exception {
        long start = System.nanoTime();
        long n = 0;
        while (System.nanoTime() - start < seconds * 1e9) {
            for (int i = 0; i < 10; i++) task.run();
            n += 10;
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }
}

package org.cardbound.core.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cardbound.core.Json;
import org.cardbound.core.Origins;
import org.cardbound.core.ProtocolException;
import org.cardbound.core.Times;
import org.cardbound.core.validation.Identity;
import org.cardbound.core.validation.OcspSettings;
import org.cardbound.core.validation.RevocationLists;
import org.cardbound.core.validation.TokenValidator;
import org.cardbound.core.validation.TrustAnchors;
import org.cardbound.core.validation.ValidationException;

// cardbound-verify in Java: the same interface and exit codes as the C++
// build/server/cardbound-verify, so both can be run on the same cases and
// compared code by code. Prints the identity as JSON and exits 0 when the
// token is valid; prints the code and exits 1 when it is not (a file that is
// not JSON included); exits 2 on bad usage, an unreadable file, or a trust
// anchor that is not a CA. `--ocsp aia` (the default) asks the responder the
// card's certificate names, `--ocsp URL` a given one, `--ocsp off` none;
// `--soft-fail` accepts a status that cannot be known (never a revoked).
public final class Verify {
    private static final long MAX_TOKEN_FILE = 1024 * 1024;

    private Verify() {}

    private static final String USAGE = String.join("\n",
            "Usage: cardbound-verify-java --token FILE --origin URL --nonce NONCE --trust CA.pem",
            "                             [--trust CA.pem ...] [--at TIME] [--crl FILE ...]",
            "                             [--ocsp aia|URL|off] [--soft-fail]",
            "",
            "Validates a web-eid:1.0 authentication token for ORIGIN and NONCE by the policy",
            "of docs/protocol.md section 8, as cardbound-verify does. Prints the identity as",
            "JSON and exits 0 when valid; prints the error code and exits 1 when not; exits 2",
            "on bad usage, an unreadable file, or a --trust file that holds anything but CA",
            "certificates.",
            "",
            "  --token FILE    the token JSON, or a JSON object with a \"token\" member",
            "  --origin URL    the site's origin: https://host[:port]",
            "  --nonce NONCE   the challenge nonce the token must sign",
            "  --trust FILE    PEM trust anchors, CA certificates only (repeatable)",
            "  --at TIME       validation time, e.g. 2023-07-22T00:00:00Z (default: now)",
            "  --crl FILE      a CRL file, PEM or DER (repeatable; no URLs in Java yet)",
            "  --ocsp WHERE    aia (default): the responder the certificate names; a URL:",
            "                  that responder (http://); off: no OCSP",
            "  --soft-fail     accept a certificate whose OCSP status cannot be known",
            "                  (never a revoked one)",
            "  --help          this text",
            "");

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String tokenFile = null;
        String origin = null;
        String nonce = null;
        String atText = null;
        String ocsp = "aia";
        List<Path> trust = new ArrayList<>();
        List<Path> crls = new ArrayList<>();
        boolean softFail = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                out.print(USAGE);
                return 0;
            }
            if (a.equals("--soft-fail")) {
                softFail = true;
                continue;
            }
            if (i + 1 >= args.length) return usage(err, a + " needs a value (or is unknown)");
            String v = args[++i];
            switch (a) {
                case "--token": tokenFile = v; break;
                case "--origin": origin = v; break;
                case "--nonce": nonce = v; break;
                case "--trust": trust.add(Path.of(v)); break;
                case "--at": atText = v; break;
                case "--crl": crls.add(Path.of(v)); break;
                case "--ocsp": ocsp = v; break;
                default: return usage(err, "unknown option " + a);
            }
        }
        if (tokenFile == null || origin == null || nonce == null || trust.isEmpty())
            return usage(err, "--token, --origin, --nonce and --trust are required");
        Optional<String> originProblem = Origins.relyingPartyProblem(origin);
        if (originProblem.isPresent()) return fail(err, "--origin " + originProblem.get());
        OcspSettings ocspSettings = null;
        if (!ocsp.equals("off")) {
            if (!ocsp.equals("aia") && !ocsp.startsWith("http://"))
                return fail(err, "--ocsp takes aia, off or an http:// URL");
            ocspSettings = OcspSettings.of(ocsp.equals("aia") ? null : ocsp, softFail);
        }
        Instant at = Instant.now();
        if (atText != null) {
            Optional<Instant> t = Times.parse(atText);
            if (t.isEmpty()) return fail(err, "--at must look like 2023-07-22T00:00:00Z");
            at = t.get();
        }
        TokenValidator validator;
        String text;
        try {
            for (Path crl : crls)
                if (crl.toString().startsWith("http://")) return fail(err, "--crl takes files only in the Java validator");
            validator = new TokenValidator(TrustAnchors.fromFiles(trust), RevocationLists.fromFiles(crls), ocspSettings, Clock.fixed(at, ZoneOffset.UTC));
            Path file = Path.of(tokenFile);
            if (Files.size(file) > MAX_TOKEN_FILE) return fail(err, tokenFile + " is larger than 1 MiB");
            text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException | IOException e) {
            return fail(err, e.getMessage());
        }
        JsonNode json;
        try {
            json = Json.parse(text);
        } catch (ProtocolException e) {
            json = null; // not JSON: no token, TOKEN_MALFORMED from the validator's first rule
        }
        JsonNode token = json != null && json.isObject() && json.has("token") ? json.get("token") : json;
        try {
            Identity id = validator.validate(token, origin, nonce);
            // As cardbound-verify prints it (nlohmann's dump(2)): members by name, "key": value.
            ObjectNode identity = id.toJson();
            ObjectNode sorted = Json.mapper().createObjectNode();
            List<String> names = new ArrayList<>();
            identity.fieldNames().forEachRemaining(names::add);
            names.stream().sorted().forEach(name -> sorted.set(name, identity.get(name)));
            out.println(Json.mapper().writer(new CppStylePrinter()).writeValueAsString(sorted));
            return 0;
        } catch (ValidationException e) {
            out.println(e.code().name());
            err.println("cardbound-verify-java: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            return fail(err, "cannot write the identity: " + e.getMessage());
        }
    }

    // Two-space indents and "key": value, as nlohmann's dump(2) writes.
    private static final class CppStylePrinter extends DefaultPrettyPrinter {
        private static final long serialVersionUID = 1L;

        CppStylePrinter() {}

        CppStylePrinter(CppStylePrinter base) {
            super(base);
        }

        @Override
        public DefaultPrettyPrinter createInstance() {
            return new CppStylePrinter(this);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }
    }

    private static int usage(PrintStream err, String why) {
        err.println("cardbound-verify-java: " + why);
        err.print(USAGE);
        return 2;
    }

    private static int fail(PrintStream err, String why) {
        err.println("cardbound-verify-java: " + why);
        return 2;
    }
}

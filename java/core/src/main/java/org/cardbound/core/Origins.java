package org.cardbound.core;

import java.util.Optional;
import java.util.regex.Pattern;

// Origins as common/src/cardbound/protocol/origin.cpp reads them: scheme,
// lowercase DNS name or IP literal, a port only when it is not the default.
// A relying party's origin must moreover be canonical and https (rule 3).
public final class Origins {
    private Origins() {}

    private static final int MAX_LENGTH = 300;
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern IPV6_TEXT = Pattern.compile("[0-9a-f:.]+");

    // Whether `text` is an origin at all (http or https), as the C++ parser says.
    public static boolean isOrigin(String text) {
        return parse(text).isPresent();
    }

    // Why `origin` cannot be a relying party's origin, or empty when it can.
    public static Optional<String> relyingPartyProblem(String origin) {
        Optional<String> canonical = parse(origin);
        if (canonical.isEmpty() || !canonical.get().equals(origin))
            return Optional.of("is not a canonical origin (scheme://host[:port], lowercase, no default port, no path)");
        // Card logins happen on https pages only: the session cookie
        // (Secure, __Host-) lives only there, and the host refuses other sites.
        if (!origin.startsWith("https://")) return Optional.of("is not an https origin");
        return Optional.empty();
    }

    // The origin's canonical text, or empty when it is no origin.
    static Optional<String> parse(String text) {
        if (text == null || text.length() > MAX_LENGTH) return Optional.empty();
        String scheme;
        String rest;
        if (text.startsWith("https://")) {
            scheme = "https";
            rest = text.substring(8);
        } else if (text.startsWith("http://")) {
            scheme = "http";
            rest = text.substring(7);
        } else {
            return Optional.empty();
        }
        String host;
        String port = null;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) return Optional.empty();
            host = rest.substring(0, close + 1);
            String after = rest.substring(close + 1);
            if (!after.isEmpty()) {
                if (after.charAt(0) != ':' || after.length() == 1) return Optional.empty();
                port = after.substring(1);
            }
            // Only lowercase, compressed IPv6 text; the C++ side compares with
            // inet_ntop's form, which we approximate by refusing what it never writes.
            String inner = host.substring(1, host.length() - 1);
            if (inner.isEmpty() || !IPV6_TEXT.matcher(inner).matches() || !inner.contains(":"))
                return Optional.empty();
        } else {
            int colon = rest.indexOf(':');
            host = colon < 0 ? rest : rest.substring(0, colon);
            if (colon >= 0) {
                port = rest.substring(colon + 1);
                if (port.isEmpty()) return Optional.empty();
            }
            if (!isDnsName(host)) return Optional.empty(); // also refuses uppercase, '/', '?', '#', '@'
        }
        if (port == null) return Optional.of(scheme + "://" + host);
        if (port.length() > 5 || port.charAt(0) == '0') return Optional.empty();
        int p = 0;
        for (char c : port.toCharArray()) {
            if (c < '0' || c > '9') return Optional.empty();
            p = p * 10 + (c - '0');
        }
        if (p < 1 || p > 65535) return Optional.empty();
        if ((scheme.equals("https") && p == 443) || (scheme.equals("http") && p == 80))
            return Optional.empty(); // the default port is never written out
        return Optional.of(scheme + "://" + host + ":" + p);
    }

    private static boolean isDnsName(String host) {
        if (host.isEmpty() || host.length() > 253) return false;
        for (String label : host.split("\\.", -1))
            if (!LABEL.matcher(label).matches()) return false;
        return true;
    }
}

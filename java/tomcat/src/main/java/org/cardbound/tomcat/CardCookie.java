package org.cardbound.tomcat;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.regex.Pattern;

// The card session's cookie of docs/protocol.md §6, as cardbound-server sets
// it: `__Host-cardbound`, Secure, HttpOnly, SameSite=Strict, Path=/. Written
// as a header, not a jakarta Cookie, so that every attribute is exactly this.
final class CardCookie {
    static final String NAME = "__Host-cardbound";
    // 256 random bits, base64url: 43 characters; anything else names no session.
    private static final Pattern VALUE = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private CardCookie() {}

    // The card session the request's cookie names, or null.
    static String of(HttpServletRequest request) {
        Cookie[] cookies = request.getCookies();
        if (cookies == null) return null;
        for (Cookie c : cookies)
            if (NAME.equals(c.getName())) return VALUE.matcher(c.getValue()).matches() ? c.getValue() : null;
        return null;
    }

    static void set(HttpServletResponse response, String sessionId) {
        response.addHeader("Set-Cookie", NAME + "=" + sessionId + "; Path=/; Secure; HttpOnly; SameSite=Strict");
    }

    static void clear(HttpServletResponse response) {
        response.addHeader("Set-Cookie", NAME + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    }
}

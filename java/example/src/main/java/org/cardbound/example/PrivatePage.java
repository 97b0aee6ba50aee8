package org.cardbound.example;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.security.Principal;

// The example application's protected page: plain servlet code, nothing of
// Cardbound in it but the script that follows the card session in the
// browser. Tomcat (the CARDBOUND authenticator and the Realm) decided who
// may see it; the page just asks the standard API who that is.
//   /private/         the page
//   /private/whoami   the same facts as JSON (for scripts and tests)
public final class PrivatePage extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        Principal user = req.getUserPrincipal();
        String name = user == null ? "" : user.getName();
        boolean cardholder = req.isUserInRole("cardholder");
        res.setHeader("Cache-Control", "no-store");
        if ("/whoami".equals(req.getPathInfo())) {
            res.setContentType("application/json");
            res.setCharacterEncoding("UTF-8");
            res.getWriter().print("{\"user\":\"" + json(name) + "\",\"cardholder\":" + cardholder + ",\"authType\":\""
                    + json(String.valueOf(req.getAuthType())) + "\"}");
            return;
        }
        res.setContentType("text/html");
        res.setCharacterEncoding("UTF-8");
        PrintWriter out = res.getWriter();
        out.println("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Private</title>");
        out.println("<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
                + ".card{border:1px solid #d5dbe5;border-radius:.5rem;padding:1rem 1.25rem}.in{border-color:#2e7d32;background:#f1f8f2}"
                + ".out{border-color:#b71c1c;background:#fdf2f2}</style></head><body>");
        out.println("<h1>Private page</h1>");
        out.println("<div id=\"state\" class=\"card in\" role=\"status\">Hello, <span id=\"user\">" + html(name)
                + "</span>. Your role: cardholder. This page stays open while your card is in the reader.</div>");
        out.println("<p><button id=\"logout\">Log out</button> <a href=\"/\">Front page</a></p>");
        out.println("<script type=\"module\" src=\"/private-page.js\"></script></body></html>");
    }

    private static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String json(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}

package org.cardbound.core.validation;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

// How an OCSP request reaches its responder (rule 16): an HTTP POST by
// default (`http`); tests answer in-process, as the C++ ocsp_rules_test does.
// Throws IOException when the responder cannot be reached.
public interface OcspTransport {
    int MAX_RESPONSE_BYTES = 64 * 1024;

    record Response(int status, byte[] body) {}

    Response post(String url, byte[] request) throws IOException;

    // application/ocsp-request over HTTP (http:// only, as responders are
    // named in AIA), within `timeout` for connecting and for the whole
    // answer, and at most MAX_RESPONSE_BYTES of it.
    static OcspTransport http(Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
        return (url, request) -> {
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw new IOException("not a URL: " + url);
            }
            if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null)
                throw new IOException("not an http:// responder: " + url);
            HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout).header("Content-Type", "application/ocsp-request")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(request)).build();
            try {
                HttpResponse<InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = resp.body()) {
                    byte[] body = in.readNBytes(MAX_RESPONSE_BYTES + 1);
                    if (body.length > MAX_RESPONSE_BYTES) throw new IOException("the answer is larger than " + MAX_RESPONSE_BYTES + " bytes");
                    return new Response(resp.statusCode(), body);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        };
    }
}

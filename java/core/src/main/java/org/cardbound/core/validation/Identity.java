package org.cardbound.core.validation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import org.cardbound.core.Algorithm;
import org.cardbound.core.Digests;
import org.cardbound.core.Json;
import org.cardbound.core.Times;

// Who logged in: the card's certificate as the C++ Identity describes it
// (server/src/validation/identity.cpp), the same JSON members.
public record Identity(
        String subject,
        String holder,
        String givenName,
        String surname,
        String personalCode,
        String country,
        String issuer,
        String serialNumber,
        String fingerprint,
        String notAfter,
        String algorithm) {
    // Names OpenSSL prints for the attributes the JDK prints as OIDs.
    private static final Map<String, String> KEYWORDS = Map.of(
            "2.5.4.4", "SN", "2.5.4.42", "GN", "2.5.4.5", "serialNumber", "1.2.840.113549.1.9.1", "emailAddress",
            "2.5.4.97", "organizationIdentifier");

    public static Identity of(X509Certificate cert, Algorithm alg) {
        List<Rdn> subject = rdns(cert.getSubjectX500Principal());
        String given = value(subject, "GN");
        String surname = value(subject, "SN");
        String cn = value(subject, "CN");
        String holder = !given.isEmpty() && !surname.isEmpty() ? given + " " + surname : !cn.isEmpty() ? cn : text(subject);
        String fingerprint;
        try {
            fingerprint = HexFormat.of().formatHex(Digests.hash("SHA-256", cert.getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a parsed certificate has no encoding", e);
        }
        return new Identity(text(subject), holder, given, surname, value(subject, "serialNumber"), value(subject, "C"),
                text(rdns(cert.getIssuerX500Principal())), cert.getSerialNumber().toString(16).toUpperCase(), fingerprint,
                Times.format(cert.getNotAfter().toInstant()), alg.name());
    }

    public ObjectNode toJson() {
        ObjectNode j = Json.mapper().createObjectNode();
        j.put("subject", subject).put("holder", holder).put("givenName", givenName).put("surname", surname)
                .put("personalCode", personalCode).put("country", country).put("issuer", issuer)
                .put("serialNumber", serialNumber).put("fingerprint", fingerprint).put("notAfter", notAfter)
                .put("algorithm", algorithm);
        return j;
    }

    // The name's RDNs in the certificate's order (first to last, as OpenSSL prints them).
    private static List<Rdn> rdns(X500Principal name) {
        try {
            // getRdns() counts from the right of the RFC 2253 text: the certificate's order.
            return new ArrayList<>(new LdapName(name.getName(X500Principal.RFC2253, KEYWORDS)).getRdns());
        } catch (InvalidNameException e) {
            return List.of();
        }
    }

    private static String value(List<Rdn> rdns, String type) {
        for (Rdn r : rdns)
            if (r.getType().equalsIgnoreCase(type) && r.getValue() instanceof String) return (String) r.getValue();
        return "";
    }

    private static String text(List<Rdn> rdns) {
        List<String> parts = new ArrayList<>();
        // Values escaped as RFC 2253 (and OpenSSL's printout) does: "\," in a CN.
        for (Rdn r : rdns)
            parts.add(r.getType() + "=" + (r.getValue() instanceof String ? Rdn.escapeValue(r.getValue())
                    : r.toString().substring(r.getType().length() + 1)));
        return String.join(", ", parts);
    }
}

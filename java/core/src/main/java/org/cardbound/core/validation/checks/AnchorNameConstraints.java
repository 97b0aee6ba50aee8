package org.cardbound.core.validation.checks;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

// The name constraints of a trust anchor that is not self-signed (an
// intermediate CA configured as the anchor), applied to the certificate it
// issued. The JDK's PKIX refuses name constraints given with a TrustAnchor,
// and the anchor cannot go into the path without its issuer, so this reads
// them itself (RFC 5280 §4.2.1.10), permitted and excluded: directoryName
// subtrees against the subject, and dNSName subtrees against the DNS names of
// the subjectAltName (the forms card PKIs constrain, and the ones OpenSSL
// applies for the C++ validator). Any other name form, a minimum or a
// maximum is refused, fail closed.
final class AnchorNameConstraints {
    private static final String NAME_CONSTRAINTS = "2.5.29.30";

    private static final int DNS_NAME = 2; // GeneralName's dNSName, as getSubjectAlternativeNames says

    private final List<List<Rdn>> permitted = new ArrayList<>();
    private final List<List<Rdn>> excluded = new ArrayList<>();
    private final List<String> permittedDns = new ArrayList<>();
    private final List<String> excludedDns = new ArrayList<>();

    private AnchorNameConstraints() {}

    // The anchor's constraints, or null when it has none. Throws
    // IllegalArgumentException for constraints this reader does not apply.
    static AnchorNameConstraints of(X509Certificate anchor) {
        byte[] wrapped = anchor.getExtensionValue(NAME_CONSTRAINTS);
        if (wrapped == null) return null;
        Der outer = new Der(wrapped);
        Der value = outer.next(0x04).contents(); // the extension's OCTET STRING
        Der constraints = value.next(0x30).contents();
        AnchorNameConstraints out = new AnchorNameConstraints();
        while (constraints.more()) {
            Der.Element e = constraints.nextAny();
            if (e.tag == 0xA0) out.read(e.contents(), out.permitted, out.permittedDns);
            else if (e.tag == 0xA1) out.read(e.contents(), out.excluded, out.excludedDns);
            else throw new IllegalArgumentException("unknown nameConstraints member");
        }
        return out;
    }

    private void read(Der subtrees, List<List<Rdn>> names, List<String> dnsNames) {
        while (subtrees.more()) {
            Der subtree = subtrees.next(0x30).contents();
            Der.Element base = subtree.nextAny();
            if (subtree.more()) throw new IllegalArgumentException("a name constraint with a minimum or maximum");
            if (base.tag == 0xA4) {
                names.add(rdns(new X500Principal(base.contents().next(0x30).encoded())));
            } else if (base.tag == 0x82) {
                String dns = new String(base.value(), StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
                if (!dns.chars().allMatch(ch -> ch > 0x20 && ch < 0x7F)) throw new IllegalArgumentException("a dNSName constraint that is not a name");
                dnsNames.add(dns);
            } else {
                throw new IllegalArgumentException("a name constraint of a form other than directoryName or dNSName");
            }
        }
    }

    // Whether `cert` is allowed: its subject, and each DNS name of its
    // subjectAltName, within a permitted subtree of its form (when there are
    // any) and within no excluded one.
    boolean allows(X509Certificate cert) {
        List<Rdn> s = rdns(cert.getSubjectX500Principal());
        if (!permitted.isEmpty() && permitted.stream().noneMatch(p -> within(s, p))) return false;
        if (excluded.stream().anyMatch(x -> within(s, x))) return false;
        for (String dns : dnsNames(cert)) {
            if (!permittedDns.isEmpty() && permittedDns.stream().noneMatch(p -> withinDns(dns, p))) return false;
            if (excludedDns.stream().anyMatch(x -> withinDns(dns, x))) return false;
        }
        return true;
    }

    private static List<String> dnsNames(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            if (names == null) return out;
            for (List<?> n : names)
                if (n.size() == 2 && n.get(0) instanceof Integer type && type == DNS_NAME && n.get(1) instanceof String dns)
                    out.add(dns.toLowerCase(Locale.ROOT));
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("a subjectAltName that cannot be read");
        }
        return out;
    }

    // RFC 5280: "example.com" covers the host itself and every name below it;
    // ".example.com" only the names below it; "" every name.
    private static boolean withinDns(String name, String constraint) {
        if (constraint.isEmpty()) return true;
        if (constraint.startsWith(".")) return name.endsWith(constraint);
        return name.equals(constraint) || name.endsWith("." + constraint);
    }

    private static boolean within(List<Rdn> name, List<Rdn> subtree) {
        return name.size() >= subtree.size() && name.subList(0, subtree.size()).equals(subtree);
    }

    // RDNs in the certificate's order, compared in RFC 5280's canonical form.
    private static List<Rdn> rdns(X500Principal name) {
        try {
            return new ArrayList<>(new LdapName(name.getName(X500Principal.CANONICAL)).getRdns());
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException("a name that cannot be read");
        }
    }
}

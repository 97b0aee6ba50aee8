package org.cardbound.core.validation.checks;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

// The name constraints of a trust anchor that is not self-signed (an
// intermediate CA configured as the anchor), applied to the certificate it
// issued. The JDK's PKIX refuses name constraints given with a TrustAnchor,
// and the anchor cannot go into the path without its issuer, so this reads
// them itself: directoryName subtrees (what card PKIs constrain), permitted
// and excluded, against the subject (RFC 5280 §4.2.1.10). Any other name
// form, a minimum or a maximum is refused, fail closed.
final class AnchorNameConstraints {
    private static final String NAME_CONSTRAINTS = "2.5.29.30";

    private final List<List<Rdn>> permitted = new ArrayList<>();
    private final List<List<Rdn>> excluded = new ArrayList<>();

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
            if (e.tag == 0xA0) out.read(e.contents(), out.permitted);
            else if (e.tag == 0xA1) out.read(e.contents(), out.excluded);
            else throw new IllegalArgumentException("unknown nameConstraints member");
        }
        return out;
    }

    private void read(Der subtrees, List<List<Rdn>> into) {
        while (subtrees.more()) {
            Der subtree = subtrees.next(0x30).contents();
            Der.Element base = subtree.nextAny();
            if (base.tag != 0xA4) throw new IllegalArgumentException("a name constraint of a form other than directoryName");
            if (subtree.more()) throw new IllegalArgumentException("a name constraint with a minimum or maximum");
            Der name = base.contents();
            into.add(rdns(new X500Principal(name.next(0x30).encoded())));
        }
    }

    // Whether `subject` is allowed: within a permitted subtree (when there
    // are any) and within no excluded one.
    boolean allows(X500Principal subject) {
        List<Rdn> s = rdns(subject);
        if (!permitted.isEmpty() && permitted.stream().noneMatch(p -> within(s, p))) return false;
        return excluded.stream().noneMatch(x -> within(s, x));
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

    // Just enough DER to walk the structure: definite lengths, bounds checked.
    private static final class Der {
        private final byte[] b;
        private int at;
        private final int end;

        Der(byte[] bytes) {
            this(bytes, 0, bytes.length);
        }

        private Der(byte[] bytes, int from, int to) {
            b = bytes;
            at = from;
            end = to;
        }

        boolean more() {
            return at < end;
        }

        final class Element {
            final int tag;
            final int start;
            final int from;
            final int to;

            Element(int tag, int start, int from, int to) {
                this.tag = tag;
                this.start = start;
                this.from = from;
                this.to = to;
            }

            Der contents() {
                return new Der(b, from, to);
            }

            byte[] encoded() {
                byte[] out = new byte[to - start];
                System.arraycopy(b, start, out, 0, out.length);
                return out;
            }
        }

        Element nextAny() {
            int start = at;
            if (end - at < 2) throw new IllegalArgumentException("truncated DER");
            int tag = b[at++] & 0xFF;
            int len = b[at++] & 0xFF;
            if (len >= 0x80) {
                int n = len & 0x7F;
                if (n < 1 || n > 3 || end - at < n) throw new IllegalArgumentException("bad DER length");
                len = 0;
                for (int i = 0; i < n; i++) len = (len << 8) | (b[at++] & 0xFF);
            }
            if (len > end - at) throw new IllegalArgumentException("truncated DER");
            Element e = new Element(tag, start, at, at + len);
            at += len;
            return e;
        }

        Element next(int tag) {
            Element e = nextAny();
            if (e.tag != tag) throw new IllegalArgumentException("unexpected DER tag");
            return e;
        }
    }
}

package org.cardbound.core.validation.checks;

// Just enough DER to walk a structure (name constraints, OCSP answers):
// definite lengths of at most 3 bytes, bounds checked; anything else throws
// IllegalArgumentException. `encode` writes one element, for OCSP requests.
final class Der {
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

    // The next element's tag, or -1 at the end.
    int peek() {
        return at < end ? b[at] & 0xFF : -1;
    }

    // One DER element: tag, definite length, the concatenated contents.
    static byte[] encode(int tag, byte[]... contents) {
        int len = 0;
        for (byte[] c : contents) len += c.length;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(len + 5);
        out.write(tag);
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            throw new IllegalArgumentException("DER element too long");
        }
        for (byte[] c : contents) out.writeBytes(c);
        return out.toByteArray();
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

        byte[] value() {
            byte[] out = new byte[to - from];
            System.arraycopy(b, from, out, 0, out.length);
            return out;
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

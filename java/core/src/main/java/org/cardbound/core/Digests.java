package org.cardbound.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

// The hashes the card signs. The card signs a hash, so the token's and the
// proof's signatures verify over these inputs with the algorithm's hash.
public final class Digests {
    private Digests() {}

    public static byte[] hash(String alg, byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance(alg);
            for (byte[] p : parts) md.update(p);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(alg + " is missing from the JDK", e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // Web eID's login: the card signs H(H(origin) || H(nonce)); this is what
    // is hashed once more, H(origin) || H(nonce).
    public static byte[] loginSigningInput(Algorithm alg, String origin, String nonce) {
        byte[] o = hash(alg.hash(), utf8(origin));
        byte[] n = hash(alg.hash(), utf8(nonce));
        byte[] out = new byte[o.length + n.length];
        System.arraycopy(o, 0, out, 0, o.length);
        System.arraycopy(n, 0, out, o.length, n.length);
        return out;
    }

    // H(H(origin) || H(nonce)), the digest the card signs at login.
    public static byte[] loginDigest(Algorithm alg, String origin, String nonce) {
        return hash(alg.hash(), loginSigningInput(alg, origin, nonce));
    }

    // A presence proof: "cardbound-presence:1" 0x00 H(origin) H(sessionTag)
    // H(nonce), hashed once more by the signature. The prefix keeps a presence
    // signature from ever being a login signature (domain separation).
    public static byte[] presenceSigningInput(Algorithm alg, String origin, String sessionTag, String nonce) {
        return prefixedSigningInput(alg, PresenceProof.FORMAT, origin, sessionTag, nonce);
    }

    // A transaction confirmation: "cardbound-transaction:1" 0x00 H(origin)
    // H(sessionTag) H(text) H(nonce), hashed once more by the signature; its
    // own prefix keeps it apart from logins and presence proofs.
    public static byte[] transactionSigningInput(Algorithm alg, String origin, String sessionTag, String text, String nonce) {
        return prefixedSigningInput(alg, TransactionConfirmation.FORMAT, origin, sessionTag, text, nonce);
    }

    // The digest the card signs to confirm a transaction (the C++ transaction_digest).
    public static byte[] transactionDigest(Algorithm alg, String origin, String sessionTag, String text, String nonce) {
        return hash(alg.hash(), transactionSigningInput(alg, origin, sessionTag, text, nonce));
    }

    // prefix 0x00 H(part) H(part) ..., the pre-image of the C++ prefixed_digest:
    // a card signature that no other kind of message can be made to look like.
    private static byte[] prefixedSigningInput(Algorithm alg, String prefix, String... parts) {
        byte[] p = utf8(prefix);
        byte[] out = new byte[p.length + 1 + parts.length * alg.hashLength()];
        System.arraycopy(p, 0, out, 0, p.length);
        int at = p.length + 1; // out[p.length] stays 0x00
        for (String part : parts) {
            byte[] h = hash(alg.hash(), utf8(part));
            System.arraycopy(h, 0, out, at, h.length);
            at += h.length;
        }
        return out;
    }
}

package org.cardbound.core;

import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.util.Optional;

// The keys we vouch for (docs/protocol.md §8, rules 5 and 12): RSA of 2048
// bits or more, EC on P-256, P-384 or P-521 named by their OID. Curves are
// told by their order; a key that spells out its curve's parameters instead
// of naming it is refused, as OpenSSL's strict mode and curve names refuse
// it on the C++ side; anything else (secp256k1, brainpool) is no curve of ours.
public final class Keys {
    private Keys() {}

    private static final int MIN_RSA_BITS = 2048;

    // "P-256", "P-384", "P-521", or empty for another curve or a non-EC key.
    public static Optional<String> curveOf(PublicKey key) {
        if (!(key instanceof ECPublicKey) || !namesItsCurve(key)) return Optional.empty();
        ECParameterSpec p = ((ECPublicKey) key).getParams();
        String order = p.getOrder().toString(16);
        if (order.equals("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")) return Optional.of("P-256");
        if (order.equals("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973"))
            return Optional.of("P-384");
        if (order.equals("1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409"))
            return Optional.of("P-521");
        return Optional.empty();
    }

    // The id-ecPublicKey OID in a SubjectPublicKeyInfo, then the parameters:
    // a named curve is an OID (0x06), explicit parameters a SEQUENCE (0x30).
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private static boolean namesItsCurve(PublicKey key) {
        byte[] spki = key.getEncoded();
        if (spki == null) return false;
        for (int i = 0; i + EC_PUBLIC_KEY.length < spki.length && i < 16; i++) {
            boolean match = true;
            for (int j = 0; j < EC_PUBLIC_KEY.length && match; j++) match = spki[i + j] == EC_PUBLIC_KEY[j];
            if (match) return spki[i + EC_PUBLIC_KEY.length] == 0x06;
        }
        return false;
    }

    // Why the key is not one we accept, or empty when it is.
    public static Optional<String> policyProblem(PublicKey key) {
        if (key instanceof RSAPublicKey) {
            int bits = ((RSAPublicKey) key).getModulus().bitLength();
            return bits >= MIN_RSA_BITS ? Optional.empty() : Optional.of("an RSA key of " + bits + " bits (2048 or more needed)");
        }
        if (key instanceof ECPublicKey)
            return curveOf(key).isPresent() ? Optional.empty() : Optional.of("an EC key on a curve other than P-256, P-384, P-521");
        return Optional.of("a " + key.getAlgorithm() + " key (RSA or EC needed)");
    }

    // Whether `alg` signs with this key: ES* on its curve, RS*/PS* RSA.
    public static boolean fits(Algorithm alg, PublicKey key) {
        if (alg.isEc()) return curveOf(key).map(alg.curve()::equals).orElse(false);
        return key instanceof RSAPublicKey;
    }
}

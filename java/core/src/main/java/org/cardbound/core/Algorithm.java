package org.cardbound.core;

import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Optional;

// The nine JWS algorithms of docs/protocol.md §4, as the JDK names them.
// ECDSA signatures are raw r || s (the P1363 form), PSS uses MGF1 with the
// same hash and a salt as long as the hash.
public enum Algorithm {
    ES256("SHA-256", 32, "P-256"),
    ES384("SHA-384", 48, "P-384"),
    ES512("SHA-512", 64, "P-521"),
    RS256("SHA-256", 32, null),
    RS384("SHA-384", 48, null),
    RS512("SHA-512", 64, null),
    PS256("SHA-256", 32, null),
    PS384("SHA-384", 48, null),
    PS512("SHA-512", 64, null);

    private final String hash;
    private final int hashLength;
    private final String curve;

    Algorithm(String hash, int hashLength, String curve) {
        this.hash = hash;
        this.hashLength = hashLength;
        this.curve = curve;
    }

    // The algorithm of this exact name; names are case-sensitive on the wire.
    public static Optional<Algorithm> of(String name) {
        for (Algorithm a : values())
            if (a.name().equals(name)) return Optional.of(a);
        return Optional.empty();
    }

    public String hash() {
        return hash;
    }

    public int hashLength() {
        return hashLength;
    }

    public boolean isEc() {
        return curve != null;
    }

    // The curve JWA (RFC 7518 §3.4) ties an ES algorithm to, or null for RSA.
    public String curve() {
        return curve;
    }

    // What a site key signs its messages with, as the C++ default_algorithm:
    // RS256 for RSA, the ES algorithm of an EC key's curve; empty for others.
    public static Optional<Algorithm> defaultFor(java.security.PublicKey key) {
        if (key instanceof java.security.interfaces.RSAPublicKey) return Optional.of(RS256);
        return Keys.curveOf(key).flatMap(curve -> {
            for (Algorithm a : values())
                if (curve.equals(a.curve)) return Optional.of(a);
            return Optional.empty();
        });
    }

    // A fresh JCA Signature for this algorithm, parameters set.
    public Signature newSignature() throws GeneralSecurityException {
        String bits = hash.substring(4);
        switch (this) {
            case ES256:
            case ES384:
            case ES512:
                return Signature.getInstance("SHA" + bits + "withECDSAinP1363Format");
            case RS256:
            case RS384:
            case RS512:
                return Signature.getInstance("SHA" + bits + "withRSA");
            default:
                Signature s = Signature.getInstance("RSASSA-PSS");
                s.setParameter(new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(hash), hashLength, 1));
                return s;
        }
    }
}

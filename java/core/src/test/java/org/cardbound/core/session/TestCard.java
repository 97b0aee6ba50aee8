package org.cardbound.core.session;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.PrivateKey;
import java.security.Signature;
import org.cardbound.core.Algorithm;
import org.cardbound.core.Base64Text;
import org.cardbound.core.Digests;
import org.cardbound.core.Json;
import org.cardbound.core.PresenceProof;
import org.cardbound.core.TestPki.Issued;
import org.cardbound.core.TransactionConfirmation;

// A card as the host drives it: web-eid:1.0 login tokens, presence proofs and
// transaction confirmations signed with the card's key (the test PKI's).
final class TestCard {
    final Issued certificate;
    final PrivateKey key;
    final Algorithm algorithm;

    TestCard(Issued certificate, PrivateKey key, Algorithm algorithm) {
        this.certificate = certificate;
        this.key = key;
        this.algorithm = algorithm;
    }

    private byte[] sign(byte[] input) {
        try {
            Signature s = algorithm.newSignature();
            s.initSign(key);
            s.update(input);
            return s.sign();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // The signature over H(H(origin) || H(nonce)).
    ObjectNode token(String origin, String serverNonce) {
        ObjectNode t = Json.mapper().createObjectNode();
        try {
            t.put("unverifiedCertificate", Base64Text.encode(certificate.certificate().getEncoded()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        t.put("algorithm", algorithm.name())
                .put("signature", Base64Text.encode(sign(Digests.loginSigningInput(algorithm, origin, serverNonce))))
                .put("format", "web-eid:1.0").put("appVersion", "https://web-eid.eu/");
        return t;
    }

    ObjectNode proof(String origin, String sessionTag, String nonce) {
        byte[] signature = sign(Digests.presenceSigningInput(algorithm, origin, sessionTag, nonce));
        return new PresenceProof(sessionTag, nonce, algorithm, signature).toJson();
    }

    byte[] der() {
        try {
            return certificate.certificate().getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // The card's answer to a transaction challenge, as the host's
    // confirm-transaction makes it: the text it was shown, signed.
    ObjectNode confirmation(String origin, String sessionTag, String text, String nonce) {
        byte[] signature = sign(Digests.transactionSigningInput(algorithm, origin, sessionTag, text, nonce));
        return new TransactionConfirmation(sessionTag, text, nonce, der(), algorithm, signature).toJson();
    }
}

package org.cardbound.core.validation.checks;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.security.auth.x500.X500Principal;
import org.cardbound.core.Keys;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.OcspSettings;
import org.cardbound.core.validation.OcspTransport;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 16 (with OCSP): the card's certificate is `good` by an OCSP answer
// (RFC 6960), as the C++ OcspChecker judges it. Asks the responder the
// certificate names (AIA) or the configured one, with a nonce of ours it
// must carry back; the answer is signed by the card's issuer or by a
// responder the issuer delegated to (issued by it, EKU OCSPSigning, valid at
// the validation time: its path reaches our anchors through the issuer),
// and fresh at the validation time: thisUpdate no later than the time + 5
// minutes, nextUpdate (when present) no earlier than the time - 5 minutes.
// Good and revoked answers are kept until their nextUpdate. Hard-fail: no
// usable answer is REVOCATION_UNKNOWN; soft-fail accepts it, never a
// revoked card. The JDK has no OCSP API with nonces we control, so the
// request is built and the answer read here, with the bounded Der reader.
public final class OcspCheck implements TokenCheck {
    private static final Logger LOG = Logger.getLogger(OcspCheck.class.getName());
    private static final String AUTHORITY_INFO_ACCESS = "1.3.6.1.5.5.7.1.1";
    private static final String ID_AD_OCSP = "1.3.6.1.5.5.7.48.1";
    private static final String ID_PKIX_OCSP_BASIC = "1.3.6.1.5.5.7.48.1.1";
    private static final String ID_PKIX_OCSP_NONCE = "1.3.6.1.5.5.7.48.1.2";
    private static final String OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
    private static final String SHA1 = "1.3.14.3.2.26";
    private static final byte[] SHA1_ALGORITHM = Der.encode(0x30, oid(SHA1), new byte[] {0x05, 0x00});
    private static final byte[] NONCE_OID = oid(ID_PKIX_OCSP_NONCE);
    private static final Map<String, String> SIGNATURES = Map.of(
            "1.2.840.113549.1.1.5", "SHA1withRSA", "1.2.840.113549.1.1.11", "SHA256withRSA",
            "1.2.840.113549.1.1.12", "SHA384withRSA", "1.2.840.113549.1.1.13", "SHA512withRSA",
            "1.2.840.10045.4.1", "SHA1withECDSA", "1.2.840.10045.4.3.2", "SHA256withECDSA",
            "1.2.840.10045.4.3.3", "SHA384withECDSA", "1.2.840.10045.4.3.4", "SHA512withECDSA",
            "1.2.840.113549.1.1.10", "RSASSA-PSS");
    private static final int MAX_CACHE = 10_000;
    private static final int MAX_CERTS = 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final OcspSettings settings;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final AtomicInteger queries = new AtomicInteger();

    private record Cached(boolean revoked, Instant until) {}

    public OcspCheck(OcspSettings settings) {
        if (settings.transport() == null) throw new IllegalArgumentException("an OCSP check needs a transport");
        this.settings = settings;
    }

    public int cacheSize() {
        return cache.size();
    }

    public int queries() { // answers fetched from a responder
        return queries.get();
    }

    private static ValidationException unknown(String why) {
        return new ValidationException(ValidationCode.REVOCATION_UNKNOWN, "OCSP: " + why);
    }

    private static ValidationException revoked() {
        return new ValidationException(ValidationCode.CERT_REVOKED, "OCSP: the certificate is revoked");
    }

    @Override
    public void run(Candidate c) throws ValidationException {
        X509Certificate card = c.certificate;
        X509Certificate issuer = c.path != null && c.path.size() > 1 ? c.path.get(1) : null;
        if (issuer == null) throw unknown("no issuer to ask about revocation");
        try {
            byte[] certId = certId(card, issuer);
            String key = HexFormat.of().formatHex(certId);
            Cached kept = cache.get(key);
            if (kept != null && kept.until.isAfter(c.at)) {
                if (kept.revoked) throw revoked();
                return;
            }
            ask(card, issuer, certId, key, c.at);
        } catch (ValidationException e) {
            if (e.code() == ValidationCode.REVOCATION_UNKNOWN && settings.softFail()) {
                LOG.warning(e.getMessage() + " (soft-fail: accepted)");
                return;
            }
            throw e;
        }
    }

    // CertID (SHA-1, as OpenSSL's OCSP_cert_to_id): the issuer's name and
    // key hashed, the card's serial.
    private static byte[] certId(X509Certificate card, X509Certificate issuer) throws ValidationException {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] nameHash = sha1.digest(issuer.getSubjectX500Principal().getEncoded());
            byte[] keyHash = sha1.digest(publicKeyBits(issuer));
            return Der.encode(0x30, SHA1_ALGORITHM, Der.encode(0x04, nameHash), Der.encode(0x04, keyHash),
                    Der.encode(0x02, card.getSerialNumber().toByteArray()));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw unknown("cannot name the certificate");
        }
    }

    // The subjectPublicKey BIT STRING's bits (without the unused-bits byte).
    private static byte[] publicKeyBits(X509Certificate cert) {
        Der spki = new Der(cert.getPublicKey().getEncoded()).next(0x30).contents();
        spki.next(0x30);
        byte[] bits = spki.next(0x03).value();
        if (bits.length < 1 || bits[0] != 0) throw new IllegalArgumentException("a key BIT STRING with unused bits");
        return Arrays.copyOfRange(bits, 1, bits.length);
    }

    private String responderOf(X509Certificate card) {
        byte[] ext = card.getExtensionValue(AUTHORITY_INFO_ACCESS);
        if (ext == null) return null;
        try {
            Der access = new Der(new Der(ext).next(0x04).value()).next(0x30).contents();
            while (access.more()) {
                Der d = access.next(0x30).contents();
                String method = oidString(d.next(0x06).value());
                Der.Element location = d.nextAny();
                if (method.equals(ID_AD_OCSP) && location.tag == 0x86) return new String(location.value(), StandardCharsets.US_ASCII);
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        return null;
    }

    private void ask(X509Certificate card, X509Certificate issuer, byte[] certId, String key, Instant at) throws ValidationException {
        String url = settings.responderUrl() != null ? settings.responderUrl() : responderOf(card);
        if (url == null || url.isEmpty()) throw unknown("the certificate names no OCSP responder");

        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        byte[] nonceValue = Der.encode(0x04, nonce); // the extnValue's contents, as OpenSSL sends and compares it
        byte[] nonceExtension = Der.encode(0x30, NONCE_OID, Der.encode(0x04, nonceValue));
        byte[] request = Der.encode(0x30, Der.encode(0x30,
                Der.encode(0x30, Der.encode(0x30, certId)),
                Der.encode(0xA2, Der.encode(0x30, nonceExtension))));

        OcspTransport.Response http;
        queries.incrementAndGet();
        try {
            http = settings.transport().post(url, request);
        } catch (IOException | RuntimeException e) {
            throw unknown("responder unreachable: " + e.getMessage());
        }
        if (http.status() != 200) throw unknown("responder answered HTTP " + http.status());
        if (http.body().length > OcspTransport.MAX_RESPONSE_BYTES) throw unknown("the answer is too large");
        Answer a;
        try {
            a = Answer.read(http.body(), certId);
        } catch (RuntimeException e) { // the Der reader's, or a name or time that cannot be read
            throw unknown("unreadable answer (" + e.getMessage() + ")");
        }
        if (!a.successful) throw unknown("the responder refused the request");
        if (a.nonce == null || !Arrays.equals(a.nonce, nonceValue)) throw unknown("the answer does not carry our nonce");
        // Signed by the key of the certificate the answer names (among its
        // certificates, or the issuer itself)...
        X509Certificate signer = a.signer(issuer);
        if (signer == null || !a.verifies(signer)) throw unknown("the answer's signature does not verify");
        // ...which is the card's issuer, or a responder it delegated to.
        if (!signer.equals(issuer)) checkDelegated(signer, issuer, at);
        if (a.status < 0) throw unknown("the answer is about another certificate");
        if (a.thisUpdate == null) throw unknown("the answer's times cannot be read");
        if (a.thisUpdate.isAfter(at.plus(settings.maxSkew()))) throw unknown("the answer is from after the validation time");
        if (a.nextUpdate != null && a.nextUpdate.isBefore(at.minus(settings.maxSkew())))
            throw unknown("the answer is out of date (past its nextUpdate)");
        if (a.status == 2) throw unknown("the responder does not know the certificate");
        boolean isRevoked = a.status == 1;
        if (a.nextUpdate != null) {
            if (cache.size() >= MAX_CACHE) cache.clear();
            cache.put(key, new Cached(isRevoked, a.nextUpdate));
        }
        if (isRevoked) throw revoked();
    }

    // RFC 6960 §4.2.2.2: issued by the card's issuer, for OCSP signing, valid
    // at the validation time and with a key of the policy (rule 12); the
    // issuer is on the card's path to our anchors already.
    private static void checkDelegated(X509Certificate signer, X509Certificate issuer, Instant at) throws ValidationException {
        boolean delegated;
        try {
            List<String> eku = signer.getExtendedKeyUsage();
            delegated = signer.getIssuerX500Principal().equals(issuer.getSubjectX500Principal()) && eku != null
                    && eku.contains(OCSP_SIGNING);
            if (delegated) signer.verify(issuer.getPublicKey());
        } catch (GeneralSecurityException | RuntimeException e) {
            delegated = false;
        }
        if (!delegated) throw unknown("signed by neither the issuer nor a responder it delegated to");
        try {
            signer.checkValidity(Date.from(at));
        } catch (GeneralSecurityException e) {
            throw unknown("the responder's certificate is not valid at the validation time");
        }
        if (Keys.policyProblem(signer.getPublicKey()).isPresent()) throw unknown("the responder's key is not one of the policy");
    }

    // An OCSPResponse as far as rule 16 reads it.
    private static final class Answer {
        boolean successful;
        byte[] tbs; // ResponseData, as signed
        String signatureAlgorithm;
        byte[] signatureParameters;
        byte[] signature;
        X500Principal responderName;
        byte[] responderKeyHash;
        final List<X509Certificate> certs = new ArrayList<>();
        byte[] nonce; // the nonce extension's value
        int status = -1; // about our CertID: 0 good, 1 revoked, 2 unknown
        Instant thisUpdate;
        Instant nextUpdate;

        static Answer read(byte[] der, byte[] certId) {
            Answer a = new Answer();
            Der top = new Der(der);
            Der response = top.next(0x30).contents();
            if (top.more()) throw new IllegalArgumentException("trailing bytes");
            byte[] status = response.next(0x0A).value();
            a.successful = status.length == 1 && status[0] == 0;
            if (!a.successful) return a;
            Der bytes = response.next(0xA0).contents().next(0x30).contents();
            if (!oidString(bytes.next(0x06).value()).equals(ID_PKIX_OCSP_BASIC)) throw new IllegalArgumentException("not a basic response");
            Der basic = new Der(bytes.next(0x04).value()).next(0x30).contents();
            Der.Element tbs = basic.next(0x30);
            a.tbs = tbs.encoded();
            Der alg = basic.next(0x30).contents();
            a.signatureAlgorithm = oidString(alg.next(0x06).value());
            if (alg.more()) a.signatureParameters = alg.nextAny().encoded();
            a.signature = basic.next(0x03).value();
            if (basic.peek() == 0xA0) {
                Der certs = basic.next(0xA0).contents().next(0x30).contents();
                while (certs.more()) {
                    if (a.certs.size() >= MAX_CERTS) throw new IllegalArgumentException("too many certificates");
                    try {
                        a.certs.add((X509Certificate) CertificateFactory.getInstance("X.509")
                                .generateCertificate(new ByteArrayInputStream(certs.next(0x30).encoded())));
                    } catch (GeneralSecurityException e) {
                        throw new IllegalArgumentException("a certificate that cannot be read");
                    }
                }
            }
            Der data = tbs.contents();
            if (data.peek() == 0xA0) data.next(0xA0); // version, v1
            Der.Element responder = data.nextAny();
            if (responder.tag == 0xA1) a.responderName = new X500Principal(responder.contents().next(0x30).encoded());
            else if (responder.tag == 0xA2) a.responderKeyHash = responder.contents().next(0x04).value();
            else throw new IllegalArgumentException("unknown responderID");
            data.next(0x18); // producedAt
            Der responses = data.next(0x30).contents();
            while (responses.more()) {
                Der single = responses.next(0x30).contents();
                Der.Element id = single.next(0x30);
                Der.Element certStatus = single.nextAny();
                Instant thisUpdate = time(single.next(0x18).value());
                Instant nextUpdate = null;
                if (single.peek() == 0xA0) nextUpdate = time(single.next(0xA0).contents().next(0x18).value());
                if (a.status >= 0 || !sameCertId(id.encoded(), certId)) continue;
                a.status = switch (certStatus.tag) {
                    case 0x80 -> 0;
                    case 0xA1 -> 1;
                    case 0x82 -> 2;
                    default -> throw new IllegalArgumentException("unknown certStatus");
                };
                a.thisUpdate = thisUpdate;
                a.nextUpdate = nextUpdate;
            }
            if (data.peek() == 0xA1) {
                Der extensions = data.next(0xA1).contents().next(0x30).contents();
                while (extensions.more()) {
                    Der ext = extensions.next(0x30).contents();
                    byte[] oid = ext.next(0x06).encoded();
                    if (ext.peek() == 0x01) ext.next(0x01); // critical
                    byte[] value = ext.next(0x04).value();
                    if (Arrays.equals(oid, NONCE_OID)) {
                        if (a.nonce != null) throw new IllegalArgumentException("two nonces");
                        a.nonce = value;
                    }
                }
            }
            return a;
        }

        // The certificate the responderID names: the issuer, or one the answer carries.
        X509Certificate signer(X509Certificate issuer) {
            List<X509Certificate> candidates = new ArrayList<>();
            candidates.add(issuer);
            candidates.addAll(certs);
            for (X509Certificate c : candidates) {
                try {
                    if (responderName != null ? c.getSubjectX500Principal().equals(responderName)
                            : Arrays.equals(MessageDigest.getInstance("SHA-1").digest(publicKeyBits(c)), responderKeyHash))
                        return c;
                } catch (GeneralSecurityException | IllegalArgumentException e) {
                    // not this one
                }
            }
            return null;
        }

        boolean verifies(X509Certificate signer) {
            String name = SIGNATURES.get(signatureAlgorithm);
            if (name == null || signature.length < 1 || signature[0] != 0) return false;
            try {
                Signature s = Signature.getInstance(name);
                if (name.equals("RSASSA-PSS")) {
                    if (signatureParameters == null) return false;
                    AlgorithmParameters p = AlgorithmParameters.getInstance("RSASSA-PSS");
                    p.init(signatureParameters);
                    s.setParameter(p.getParameterSpec(PSSParameterSpec.class));
                }
                s.initVerify(signer.getPublicKey());
                s.update(tbs);
                return s.verify(signature, 1, signature.length - 1);
            } catch (GeneralSecurityException | IOException | RuntimeException e) {
                return false;
            }
        }
    }

    // The same CertID: SHA-1, and the same name hash, key hash and serial
    // (the algorithm's NULL parameters may be there or not, as OpenSSL allows).
    private static boolean sameCertId(byte[] theirs, byte[] ours) {
        Der t = new Der(theirs).next(0x30).contents();
        Der o = new Der(ours).next(0x30).contents();
        Der alg = t.next(0x30).contents();
        o.next(0x30);
        if (!oidString(alg.next(0x06).value()).equals(SHA1)) return false;
        for (int tag : new int[] {0x04, 0x04, 0x02})
            if (!Arrays.equals(t.next(tag).value(), o.next(tag).value())) return false;
        return !t.more();
    }

    private static final DateTimeFormatter GENERALIZED = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");

    // GeneralizedTime, UTC ("Z"), whole seconds or with a fraction.
    private static Instant time(byte[] value) {
        String s = new String(value, StandardCharsets.US_ASCII);
        if (!s.matches("[0-9]{14}(\\.[0-9]{1,9})?Z")) throw new IllegalArgumentException("a time that is not GeneralizedTime");
        return LocalDateTime.parse(s.substring(0, 14), GENERALIZED).toInstant(ZoneOffset.UTC);
    }

    private static byte[] oid(String dotted) {
        String[] parts = dotted.split("\\.");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(Integer.parseInt(parts[0]) * 40 + Integer.parseInt(parts[1]));
        for (int i = 2; i < parts.length; i++) {
            long v = Long.parseLong(parts[i]);
            byte[] tmp = new byte[10];
            int n = 0;
            do {
                tmp[n++] = (byte) (v & 0x7F);
                v >>= 7;
            } while (v > 0);
            for (int j = n - 1; j >= 0; j--) out.write(tmp[j] | (j > 0 ? 0x80 : 0));
        }
        return Der.encode(0x06, out.toByteArray());
    }

    private static String oidString(byte[] v) {
        if (v.length < 1 || v.length > 64) throw new IllegalArgumentException("bad OID");
        StringBuilder s = new StringBuilder();
        int first = v[0] & 0xFF;
        s.append(Math.min(first / 40, 2)).append('.').append(first - 40 * Math.min(first / 40, 2));
        BigInteger acc = BigInteger.ZERO;
        for (int i = 1; i < v.length; i++) {
            acc = acc.shiftLeft(7).or(BigInteger.valueOf(v[i] & 0x7F));
            if ((v[i] & 0x80) == 0) {
                s.append('.').append(acc);
                acc = BigInteger.ZERO;
            } else if (i == v.length - 1) {
                throw new IllegalArgumentException("bad OID");
            }
        }
        return s.toString();
    }
}

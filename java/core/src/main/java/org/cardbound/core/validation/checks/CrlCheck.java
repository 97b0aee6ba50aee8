package org.cardbound.core.validation.checks;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.cardbound.core.Registry.ValidationCode;
import org.cardbound.core.validation.Candidate;
import org.cardbound.core.validation.TokenCheck;
import org.cardbound.core.validation.ValidationException;

// Rule 15 (with CRLs configured): the card's certificate is not on a current
// CRL of its issuer. "Current" as OpenSSL judges it on the C++ side:
// thisUpdate <= at < nextUpdate, without the JDK's 15 minutes of leeway; no
// current CRL of the issuer leaves the status unknown (REVOCATION_UNKNOWN,
// fail closed). The current CRLs are then handed to the JDK's
// PKIXRevocationChecker (CRLs only, no OCSP, no fetching, the card only),
// which checks each CRL's signature and issuer and finds the card on it.
public final class CrlCheck implements TokenCheck {
    private final List<X509CRL> crls;

    public CrlCheck(List<X509CRL> crls) {
        this.crls = List.copyOf(crls);
    }

    @Override
    public void run(Candidate c) throws ValidationException {
        X509Certificate card = c.certificate;
        X509Certificate issuer = c.path.get(1);
        List<X509CRL> current = new ArrayList<>();
        for (X509CRL crl : crls)
            if (crl.getIssuerX500Principal().equals(card.getIssuerX500Principal()) && isCurrent(crl, c.at)) current.add(crl);
        if (current.isEmpty())
            throw new ValidationException(ValidationCode.REVOCATION_UNKNOWN, "no current CRL of the card's issuer");
        try {
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(issuer, null)));
            params.setDate(Date.from(c.at));
            CertPathValidator validator = CertPathValidator.getInstance("PKIX");
            PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
            checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK,
                    PKIXRevocationChecker.Option.ONLY_END_ENTITY));
            params.addCertPathChecker(checker);
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(current)));
            validator.validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(card)), params);
        } catch (CertPathValidatorException e) {
            if (e.getReason() == CertPathValidatorException.BasicReason.REVOKED)
                throw new ValidationException(ValidationCode.CERT_REVOKED, "the card's certificate is on its issuer's CRL");
            throw new ValidationException(ValidationCode.REVOCATION_UNKNOWN, "CRL: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new ValidationException(ValidationCode.REVOCATION_UNKNOWN, "CRL: " + e.getMessage());
        }
    }

    private static boolean isCurrent(X509CRL crl, Instant at) {
        if (at.isBefore(crl.getThisUpdate().toInstant())) return false;
        return crl.getNextUpdate() == null || at.isBefore(crl.getNextUpdate().toInstant());
    }
}

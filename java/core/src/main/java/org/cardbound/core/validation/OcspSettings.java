package org.cardbound.core.validation;

import java.time.Duration;

// Rule 16's settings, as cardbound-verify's `--ocsp aia|URL` and
// `--soft-fail`: `responderUrl` null asks the responder the card's
// certificate names (AIA); `softFail` accepts a certificate whose status
// cannot be known (never a revoked one); `maxSkew` is the tolerated clock
// difference on thisUpdate and nextUpdate.
public record OcspSettings(String responderUrl, boolean softFail, Duration maxSkew, OcspTransport transport) {
    public static final Duration TIMEOUT = Duration.ofSeconds(5);
    public static final Duration SKEW = Duration.ofMinutes(5);

    public static OcspSettings of(String responderUrl, boolean softFail) {
        return new OcspSettings(responderUrl, softFail, SKEW, OcspTransport.http(TIMEOUT));
    }

    public OcspSettings withTransport(OcspTransport t) {
        return new OcspSettings(responderUrl, softFail, maxSkew, t);
    }
}

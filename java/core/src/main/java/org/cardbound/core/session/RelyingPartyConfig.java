package org.cardbound.core.session;

import org.cardbound.core.Origins;
import org.cardbound.core.Receipt;
import org.cardbound.core.Registry;

// The relying party's settings, as the C++ RelyingPartyConfig:
//   origin             the site's exact origin
//   challengeLifetime  seconds a challenge (and an unconfirmed session) lives, 1 to the registry's maximum
//   presenceInterval   seconds between presence proofs, 1 to 3600 (the receipt's bound)
//   presenceGrace      slack after the interval, seconds, 0 to 3600
public record RelyingPartyConfig(String origin, int challengeLifetime, int presenceInterval, int presenceGrace) {
    public RelyingPartyConfig {
        var problem = Origins.relyingPartyProblem(origin);
        if (problem.isPresent()) throw new IllegalArgumentException("the origin " + origin + " " + problem.get());
        if (challengeLifetime < 1 || challengeLifetime > Registry.MAX_CHALLENGE_LIFETIME_SECONDS)
            throw new IllegalArgumentException(
                    "the challenge lifetime must be 1 to " + Registry.MAX_CHALLENGE_LIFETIME_SECONDS + " seconds");
        if (presenceInterval < 1 || presenceInterval > Receipt.MAX_PRESENCE_INTERVAL)
            throw new IllegalArgumentException("the presence interval must be 1 to " + Receipt.MAX_PRESENCE_INTERVAL + " seconds");
        if (presenceGrace < 0 || presenceGrace > 3600)
            throw new IllegalArgumentException("the presence grace must be 0 to 3600 seconds");
    }

    // The C++ defaults: 120 s challenges, a proof every 30 s, 10 s grace.
    public static RelyingPartyConfig of(String origin) {
        return new RelyingPartyConfig(origin, 120, 30, 10);
    }
}

package org.cardbound.core.session;

import org.cardbound.core.validation.Identity;

// What GET /cardbound/session answers for a live, confirmed session
// (docs/protocol.md §6): expiresIn is whole seconds to its presence deadline.
public record SessionInfo(Identity identity, String sessionTag, int presenceInterval, long expiresIn) {}

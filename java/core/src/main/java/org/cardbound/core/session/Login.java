package org.cardbound.core.session;

import org.cardbound.core.Receipt;

// A login's outcome: the new, unconfirmed session (its id is the cookie) and
// the signed receipt for the page.
public record Login(CardSession session, Receipt receipt) {}

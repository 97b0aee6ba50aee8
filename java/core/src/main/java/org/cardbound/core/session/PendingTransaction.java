package org.cardbound.core.session;

import java.time.Instant;

// A transaction the server asked a session to confirm and that is not
// answered yet: the text as the server issued it (a confirmation is checked
// against this copy, never against what the page sends back) and when the
// question expires.
public record PendingTransaction(String text, Instant expires) {}

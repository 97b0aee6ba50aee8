package org.cardbound.core.session;

// A transaction the session's card confirmed: the live session (its identity
// for the application), the text as the server issued it, and the
// question's nonce (to tie a log line to its challenge without the text).
public record ConfirmedTransaction(CardSession session, String text, String nonce) {}

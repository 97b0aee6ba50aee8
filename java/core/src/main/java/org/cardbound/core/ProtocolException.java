package org.cardbound.core;

// A message that breaks the wire format of docs/protocol.md: a field missing,
// mistyped, too long, badly encoded, or one we do not know.
public class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}

package org.cardbound.core;

// An algorithm name that is not one of the nine of docs/protocol.md §4: a
// protocol error of its own, so the validator can answer ALGORITHM_UNSUPPORTED.
public class UnsupportedAlgorithmException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    public UnsupportedAlgorithmException(String message) {
        super(message);
    }
}

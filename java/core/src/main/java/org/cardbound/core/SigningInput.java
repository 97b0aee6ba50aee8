package org.cardbound.core;

// A signing input: its lines joined by one line feed, no trailing line feed
// (docs/protocol.md §4).
final class SigningInput {
    private SigningInput() {}

    static String lines(String... lines) {
        return String.join("\n", lines);
    }
}

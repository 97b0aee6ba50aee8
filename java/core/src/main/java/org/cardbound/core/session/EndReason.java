package org.cardbound.core.session;

// Why a session ended: the server's reasons of protocol/registry.json's
// endReasons (docs/protocol.md §6), sent as `session-ended` to the event
// streams. RegistryEndReasonsTest keeps the two lists the same.
public enum EndReason {
    LOGOUT("logout"),
    CARD_REMOVED("card-removed"),
    PRESENCE_LATE("presence-late"),
    PRESENCE_REFUSED("presence-refused"),
    NO_SESSION("no-session");

    private final String wireName;

    EndReason(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    // The reasons a client may give to POST /cardbound/logout; any other is BAD_REQUEST.
    public boolean isClientLogout() {
        return this == LOGOUT || this == CARD_REMOVED;
    }
}

# The virtual cards: card N sits in reader N while its virtual-card process
# is connected to that reader's vpcd port.

VIRTUAL_CARD="$BUILD_DIR/tests/bench/virtual-card/virtual-card"

check_card_number() {
    [[ "$1" =~ ^[01]$ ]] || die "no card '$1': the bench has cards 0 and 1"
}

card_in() { [[ "$(reader_state "$1")" == Yes ]]; }
card_out() { [[ "$(reader_state "$1")" == No ]]; }

insert_card() { # insert_card N
    local n="$1"
    check_card_number "$n"
    [[ -x "$VIRTUAL_CARD" ]] || die "$VIRTUAL_CARD is not built (run ./scripts/setup)"
    if daemon_pid "card$n" >/dev/null; then
        say "card $n is already in ${READER_NAMES[$n]}"
        return 0
    fi
    start_daemon "card$n" "$VIRTUAL_CARD" --nss-db "$NSS_DB" --token "$(card_token "$n")" \
        --cert "$(card_token "$n"):card$n" --cert "$(card_token "$n"):card$n-sign" --port "${READER_PORTS[$n]}" \
        --pin-state "$RUN_DIR/card$n.pin-tries"
    if ! wait_until 10 card_in "$n"; then
        stop_daemon "card$n"
        die "card $n did not appear in ${READER_NAMES[$n]} (see $LOG_DIR/card$n.log)"
    fi
    say "card $n inserted into ${READER_NAMES[$n]}"
}

pull_card() { # pull_card N
    local n="$1"
    check_card_number "$n"
    stop_daemon "card$n"
    wait_until 10 card_out "$n" || die "${READER_NAMES[$n]} still shows a card"
    say "card $n pulled from ${READER_NAMES[$n]}"
}

# reset_pin N: the bench's stand-in for a PUK: a fresh PIN retry counter.
reset_pin() {
    local n="$1" was_in=0
    check_card_number "$n"
    daemon_pid "card$n" >/dev/null && was_in=1
    ((was_in)) && pull_card "$n"
    rm -f "$RUN_DIR/card$n.pin-tries"
    ((was_in)) && insert_card "$n"
    say "card $n has all its PIN tries again"
}

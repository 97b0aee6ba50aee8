# The PC/SC daemon. The bench uses a running pcscd when it already has the
# vpcd readers; otherwise it starts its own, which needs root because pcscd
# always listens on /run/pcscd/pcscd.comm.

PCSCD_SOCKET=/run/pcscd/pcscd.comm

# readers: "STATE<TAB>NAME" per reader (STATE is Yes or No: a card is in it),
# from OpenSC's own view of PC/SC. Fails when pcscd does not answer.
readers() {
    local out
    out="$(opensc-tool -l 2>/dev/null)" || return 1
    awk 'NR > 2 && $1 ~ /^[0-9]+$/ {
            state = $2; $1 = ""; $2 = ""
            sub(/^ +/, ""); sub(/^[A-Za-z, ]*  +/, "")
            print state "\t" $0 }' <<<"$out"
}

reader_state() { # reader_state N: Yes, No, or nothing when the reader is missing
    readers | awk -F'\t' -v name="${READER_NAMES[$1]}" '$2 == name { print $1 }'
}

vpcd_readers_present() { [[ -n "$(reader_state 0)" && -n "$(reader_state 1)" ]]; }

start_pcscd() {
    if vpcd_readers_present; then
        say "using the running pcscd (it has the vpcd readers)"
        return 0
    fi
    if pgrep -r R,S,D -x pcscd >/dev/null && [[ -S "$PCSCD_SOCKET" ]] && readers >/dev/null; then
        die "a pcscd is running without the vpcd readers: install vsmartcard-vpcd and restart it"
    fi
    [[ "$(id -u)" == 0 ]] || die "no usable pcscd: start one with the vpcd driver, or run as root"
    [[ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ]] || die "the vpcd driver is missing (apt-get install vsmartcard-vpcd)"
    # Our own configuration: only the virtual readers, whatever /etc holds.
    mkdir -p "$BENCH_DIR/reader.conf.d"
    cat >"$BENCH_DIR/reader.conf.d/vpcd" <<'EOF'
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    0x8C7B
EOF
    # A socket left by a pcscd that died would stop the new one starting.
    pgrep -r R,S,D -x pcscd >/dev/null || rm -f "$PCSCD_SOCKET" /run/pcscd/pcscd.pid
    say "starting pcscd"
    start_daemon pcscd /usr/sbin/pcscd --foreground --config "$BENCH_DIR/reader.conf.d"
    wait_until 10 vpcd_readers_present || die "pcscd did not show the vpcd readers (see $LOG_DIR/pcscd.log)"
}

# restart_pcscd: what a pcscd upgrade or crash looks like to its clients.
restart_pcscd() {
    daemon_pid pcscd >/dev/null || die "this pcscd was not started by the bench; restart it yourself"
    stop_daemon pcscd
    start_pcscd
    # The virtual cards reconnect by themselves once the driver listens again.
    wait_until 10 eval 'card_in 0 && card_in 1' || die "the cards did not come back after the restart"
    say "pcscd restarted; both cards are back"
}

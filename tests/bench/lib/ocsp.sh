# The OCSP responder of the test PKI: `openssl ocsp` answering from the
# issuing CA's database, signed by a delegated responder certificate.

# A real request: `openssl ocsp` serves one connection at a time, and a probe
# that connects and sends nothing would hang it for good.
ocsp_answers() {
    openssl ocsp -issuer "$PKI_DIR/intermediate-ca.pem" -cert "$PKI_DIR/ocsp-responder.pem" \
        -url "$OCSP_URL" -timeout 2 -noverify >/dev/null 2>&1
}
port_taken() { ss -Htln "sport = :$1" | grep -q .; }

start_ocsp() {
    if daemon_pid ocsp >/dev/null; then
        return 0
    fi
    port_taken "$OCSP_PORT" && die "port $OCSP_PORT is taken; set CARDBOUND_OCSP_PORT to a free one"
    say "starting the OCSP responder on $OCSP_URL"
    # -ignore_err: a malformed request must not stop the responder.
    start_daemon ocsp /usr/bin/openssl ocsp -port "$OCSP_PORT" -index "$PKI_DIR/ocsp-index.txt" \
        -CA "$PKI_DIR/intermediate-ca.pem" -rsigner "$PKI_DIR/ocsp-responder.pem" \
        -rkey "$PKI_DIR/ocsp-responder.key" -nmin 60 -ignore_err
    wait_until 10 ocsp_answers || die "the OCSP responder did not start (see $LOG_DIR/ocsp.log)"
}

#!/usr/bin/env bash
# cardbound-verify against the test PKI: good RSA, P-256 and P-384 tokens
# validate; revoked (by CRL and by OCSP), expired, wrong-EKU and other-CA
# certificates get their codes; an unreachable responder is hard-fail unless
# soft-fail is chosen.
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/integration/lib.sh"
load_bench_env
BUILD="${CARDBOUND_BUILD_DIR:-$REPO_ROOT/build}"
VERIFY="$BUILD/server/cardbound-verify"
MAKE="$BUILD/host/tests/cardbound-test-server"
pki="$CARDBOUND_PKI_DIR"
origin="https://localhost:8443"
nonce="$("$MAKE" nonce)"

token_for() { "$MAKE" token --key "$pki/$1.key" --cert "$pki/$1.pem" --origin "$origin" --nonce "$nonce" >"$WORK/$1.json"; }
verify() { # verify NAME [options]
    local name="$1"
    shift
    "$VERIFY" --token "$WORK/$name.json" --origin "$origin" --nonce "$nonce" --trust "$pki/root-ca.pem" \
        --trust "$pki/intermediate-ca.pem" "$@"
}
crl=(--crl "$pki/intermediate-ca.crl.pem")

for c in client-rsa2048 client-p256 client-p384 card0; do
    token_for "$c"
    check_output "$c validates (CRL checked)" '"fingerprint"' verify "$c" "${crl[@]}"
done
check_output "the identity names the holder" '"holder": "Bob Ecp"' verify client-p256 "${crl[@]}"
token_for client-revoked
check_fails "the revoked certificate is CERT_REVOKED by the CRL" "^CERT_REVOKED" verify client-revoked "${crl[@]}"
check_output "without revocation checking it would have passed" '"fingerprint"' verify client-revoked --ocsp off
token_for client-expired
check_fails "the expired certificate is CERT_EXPIRED" "^CERT_EXPIRED" verify client-expired "${crl[@]}"
token_for client-server-eku
check_fails "the serverAuth-only certificate is CERT_WRONG_PURPOSE" "^CERT_WRONG_PURPOSE" verify client-server-eku "${crl[@]}"
token_for client-other-ca
check_fails "the other CA's certificate is CERT_UNTRUSTED" "^CERT_UNTRUSTED" verify client-other-ca "${crl[@]}"
check_fails "a CRL from another CA leaves revocation unknown" "^REVOCATION_UNKNOWN" \
    verify client-p256 --crl "$pki/other-ca.crl.pem"
# OCSP through the bench's `openssl ocsp` responder named in the certificates' AIA.
check_output "OCSP (AIA) says the good certificate is good" '"fingerprint"' verify client-p256 --ocsp aia
check_fails "OCSP (AIA) says the revoked one is CERT_REVOKED" "^CERT_REVOKED" verify client-revoked --ocsp aia
check_output "a designated responder URL works too" '"fingerprint"' verify client-rsa2048 --ocsp "$CARDBOUND_OCSP_URL"
check_fails "responder down: REVOCATION_UNKNOWN under hard-fail" "^REVOCATION_UNKNOWN" \
    verify client-p256 --ocsp http://127.0.0.1:9/
check_output "responder down: accepted under soft-fail" '"fingerprint"' \
    verify client-p256 --ocsp http://127.0.0.1:9/ --soft-fail
check_fails "but soft-fail never lets a revoked certificate through" "^CERT_REVOKED" \
    verify client-revoked --ocsp aia --soft-fail
# The CRL over HTTP, from a small local file server.
node -e 'const s = require("http").createServer((q, r) => r.end(require("fs").readFileSync(process.argv[1])));
         s.listen(0, "127.0.0.1", () => console.log(s.address().port));' "$pki/intermediate-ca.crl" >"$WORK/port" &
crl_server=$!
trap 'kill $crl_server 2>/dev/null; rm -rf "$WORK"' EXIT
wait_until() { local d=$((SECONDS + $1)); shift; until "$@"; do ((SECONDS < d)) || return 1; sleep 0.05; done; }
wait_until 10 test -s "$WORK/port" || fail "the CRL file server did not start"
check_fails "a CRL fetched over HTTP finds the revoked certificate" "^CERT_REVOKED" \
    verify client-revoked --crl "http://127.0.0.1:$(cat "$WORK/port")/ca.crl" --ocsp off
check_output "and passes the good one" '"fingerprint"' \
    verify client-p256 --crl "http://127.0.0.1:$(cat "$WORK/port")/ca.crl" --ocsp off
check_fails "the token's algorithm must fit the key" "^(ALGORITHM_UNSUPPORTED|TOKEN_MALFORMED)" \
    bash -c "sed 's/\"ES256\"/\"RS256\"/' '$WORK/client-p256.json' >'$WORK/alg.json' && '$VERIFY' --token '$WORK/alg.json' --origin $origin --nonce '$nonce' --trust '$pki/root-ca.pem' --ocsp off"
done_testing

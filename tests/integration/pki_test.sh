#!/usr/bin/env bash
# The test PKI: chains, the CRL, the OCSP responder and the certificates that
# relying parties must refuse.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_bench_env
pki="$CARDBOUND_PKI_DIR"
chain=(-CAfile "$pki/root-ca.pem" -untrusted "$pki/intermediate-ca.pem")

for c in client-rsa2048 client-p256 client-p384 card0 card1 server-localhost; do
    check_output "$c chains to the root" ": OK$" openssl verify "${chain[@]}" "$pki/$c.pem"
done
check_output "client-p256 holds an EC P-256 key" "prime256v1|P-256" openssl x509 -in "$pki/client-p256.pem" -noout -text
check_output "client-p384 holds an EC P-384 key" "secp384r1|P-384" openssl x509 -in "$pki/client-p384.pem" -noout -text
check_output "client-rsa2048 holds an RSA-2048 key" "Public-Key: \(2048 bit\)" openssl x509 -in "$pki/client-rsa2048.pem" -noout -text
check_output "client certificates are for clientAuth" "^SSL client : Yes" \
    openssl x509 -in "$pki/client-p256.pem" -noout -purpose
check_output "the server certificate names localhost and 127.0.0.1" "DNS:localhost, IP Address:127.0.0.1" \
    openssl x509 -in "$pki/server-localhost.pem" -noout -ext subjectAltName

check_fails "the expired certificate is rejected" "certificate has expired" \
    openssl verify "${chain[@]}" "$pki/client-expired.pem"
check_fails "the other CA's certificate is rejected" "unable to get local issuer certificate" \
    openssl verify "${chain[@]}" "$pki/client-other-ca.pem"
check_fails "the serverAuth-only certificate is rejected for clientAuth" "unsuitable certificate purpose" \
    openssl verify "${chain[@]}" -purpose sslclient "$pki/client-server-eku.pem"

serial="$(cat "$pki/client-revoked.serial")"
check_output "the CRL lists the revoked serial" "Serial Number: $serial" \
    openssl crl -in "$pki/intermediate-ca.crl.pem" -noout -text
check_output "the CRL is signed by the issuing CA" "verify OK" \
    openssl crl -in "$pki/intermediate-ca.crl.pem" -CAfile "$pki/intermediate-ca.pem" -noout
check_fails "a CRL check rejects the revoked certificate" "certificate revoked" \
    openssl verify "${chain[@]}" -crl_check -CRLfile "$pki/intermediate-ca.crl.pem" "$pki/client-revoked.pem"
check_output "a CRL check accepts a good certificate" ": OK$" \
    openssl verify "${chain[@]}" -crl_check -CRLfile "$pki/intermediate-ca.crl.pem" "$pki/client-p256.pem"

ocsp() { # ocsp CERT: asks the bench responder, verifying its signed answer
    openssl ocsp -issuer "$pki/intermediate-ca.pem" -cert "$pki/$1.pem" -url "$CARDBOUND_OCSP_URL" \
        -CAfile "$pki/ca-chain.pem" -timeout 10
}
check_output "the OCSP URL is in the certificates" "OCSP - URI:$CARDBOUND_OCSP_URL" \
    openssl x509 -in "$pki/client-p256.pem" -noout -ext authorityInfoAccess
# check_ocsp CERT STATUS: the answer's signature verifies and it gives STATUS.
check_ocsp() {
    local out
    out="$(ocsp "$1" 2>&1)" || fail "OCSP query for $1 failed: $out"
    grep -q "^Response verify OK" <<<"$out" || fail "the OCSP answer for $1 did not verify: $out"
    grep -q "$1.pem: $2\$" <<<"$out" || fail "OCSP should say $1 is $2: $out"
    pass "OCSP says $1 is $2 (signed answer verified)"
}
for c in client-rsa2048 client-p256 client-p384 card0; do
    check_ocsp "$c" good
done
check_ocsp client-revoked revoked
check_output "OCSP gives the revocation reason" "Reason: keyCompromise" ocsp client-revoked
done_testing

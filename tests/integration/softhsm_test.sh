#!/usr/bin/env bash
# SoftHSM2: each good client key signs through PKCS#11 and openssl verifies the
# signature with the certificate of the test PKI.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_bench_env

p11() {
    pkcs11-tool --module "$CARDBOUND_SOFTHSM_MODULE" --token-label "$CARDBOUND_SOFT_TOKEN" "$@"
}

head -c 4096 /dev/urandom >"$WORK/data"
cp "$WORK/data" "$WORK/tampered"
printf 'x' >>"$WORK/tampered"

# key id, certificate, PKCS#11 mechanism, digest. SoftHSM2 has no hashing
# ECDSA mechanisms: CKM_ECDSA signs a digest made here, as a host would do.
while read -r id cert mechanism digest; do
    pubkey_of "$CARDBOUND_PKI_DIR/$cert.pem" "$WORK/$cert.pub"
    input="$WORK/data"
    if [[ "$mechanism" == ECDSA ]]; then
        openssl dgst "-$digest" -binary "$WORK/data" >"$WORK/data.$digest"
        input="$WORK/data.$digest"
    fi
    check "$cert signs with $mechanism ($digest)" p11 --login --pin "$CARDBOUND_USER_PIN" --sign --id "$id" \
        --mechanism "$mechanism" --signature-format openssl -i "$input" -o "$WORK/$cert.sig"
    check_output "openssl verifies the $cert signature" "^Verified OK" \
        openssl dgst "-$digest" -verify "$WORK/$cert.pub" -signature "$WORK/$cert.sig" "$WORK/data"
    check_fails "the $cert signature does not cover other data" "Verification failure" \
        openssl dgst "-$digest" -verify "$WORK/$cert.pub" -signature "$WORK/$cert.sig" "$WORK/tampered"
done <<'EOF'
01 client-rsa2048 SHA256-RSA-PKCS sha256
02 client-p256 ECDSA sha256
03 client-p384 ECDSA sha384
EOF

check_fails "a wrong PIN is refused" "CKR_PIN_INCORRECT" \
    p11 --login --pin 000000 --sign --id 02 --mechanism ECDSA -i "$WORK/data.sha256" -o "$WORK/x.sig"
done_testing

#!/usr/bin/env bash
# The signing keys of the bench: each virtual card carries a login certificate
# (keyUsage digitalSignature) and a signing certificate (nonRepudiation only)
# whose key signs behind the card's one PIN; token cardbound-soft-sign holds
# two signing keys behind a PIN of its own.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_bench_env
pki="$CARDBOUND_PKI_DIR"
chain=(-CAfile "$pki/root-ca.pem" -untrusted "$pki/intermediate-ca.pem")

head -c 1000 /dev/urandom >"$WORK/data"
cp "$WORK/data" "$WORK/tampered"
printf 'x' >>"$WORK/tampered"

# key_usage CERT.der: the keyUsage line of a certificate, e.g. "Non Repudiation".
key_usage() { openssl x509 -inform DER -in "$1" -noout -ext keyUsage | sed -n 2p | tr -d ' '; }
eku() { openssl x509 -inform DER -in "$1" -noout -ext extendedKeyUsage; }
subject() { openssl x509 -inform "${2:-PEM}" -in "$1" -noout -subject -nameopt RFC2253; }
# is_key_usage CERT.der WANT: the keyUsage is exactly WANT and critical.
is_key_usage() {
    local got
    got="$(key_usage "$1")"
    [[ "$got" == "$2" ]] || { echo "keyUsage of $1 is '$got', not '$2'"; return 1; }
    openssl x509 -inform DER -in "$1" -noout -ext keyUsage | grep -q critical || { echo "not critical"; return 1; }
}
no_eku() { [[ -z "$(eku "$1")" ]] || { echo "EKU present: $(eku "$1")"; return 1; }; }

# The signing certificates of the PKI.
for c in card0-sign card1-sign sign-rsa2048 sign-p256; do
    check_output "$c chains to the root" ": OK$" openssl verify "${chain[@]}" "$pki/$c.pem"
    check "$c has keyUsage nonRepudiation only (critical)" is_key_usage "$pki/$c.der" NonRepudiation
    check "$c has no EKU" no_eku "$pki/$c.der"
    check_fails "$c is refused for client authentication (login)" "unsuitable certificate purpose" \
        openssl verify "${chain[@]}" -purpose sslclient "$pki/$c.pem"
done
for pair in card0:card0-sign card1:card1-sign client-rsa2048:sign-rsa2048 client-p256:sign-p256; do
    login="${pair%%:*}" signing="${pair#*:}"
    check "$signing has the holder of $login" [ "$(subject "$pki/$login.pem")" == "$(subject "$pki/$signing.pem")" ]
    check_fails "$signing has a key of its own, not that of $login" "differ" \
        cmp <(pubkey_of "$pki/$login.pem" /dev/stdout) <(pubkey_of "$pki/$signing.pem" /dev/stdout)
done
check_output "sign-p256 holds an EC P-256 key" "prime256v1|P-256" openssl x509 -in "$pki/sign-p256.pem" -noout -text
check_output "sign-rsa2048 holds an RSA-2048 key" "Public-Key: \(2048 bit\)" \
    openssl x509 -in "$pki/sign-rsa2048.pem" -noout -text
for c in card0-sign sign-p256; do
    out="$(openssl ocsp -issuer "$pki/intermediate-ca.pem" -cert "$pki/$c.pem" -url "$CARDBOUND_OCSP_URL" \
        -CAfile "$pki/ca-chain.pem" -timeout 10 2>&1)" || fail "OCSP query for $c failed: $out"
    grep -q "^Response verify OK" <<<"$out" || fail "the OCSP answer for $c did not verify: $out"
    grep -q "$c.pem: good\$" <<<"$out" || fail "OCSP should say $c is good: $out"
    pass "OCSP says $c is good (signed answer verified)"
done

# The virtual cards: two certificates, two private keys, and the signing key
# signs behind the card PIN.
reader=("$CARDBOUND_READER_0" "$CARDBOUND_READER_1")
card() { # card N ARGS...: pkcs11-tool on the card in reader N
    local n="$1"
    shift
    pkcs11-tool --module "$CARDBOUND_OPENSC_MODULE" --slot-description "${reader[$n]}" "$@"
}
for n in 0 1; do
    objects="$(card "$n" --login --pin "$CARDBOUND_CARD_PIN" -O 2>&1)" || fail "card $n: listing failed: $objects"
    certs="$(grep -c "^Certificate Object" <<<"$objects" || true)"
    keys="$(grep -c "^Private Key Object" <<<"$objects" || true)"
    [[ "$certs" == 2 && "$keys" == 2 ]] || fail "card $n should show 2 certificates and 2 private keys, shows $certs and $keys: $objects"
    pass "card $n shows two certificates and two private keys"

    check "card $n: the login certificate (id 0001) reads off the card" \
        card "$n" --read-object --type cert --id 0001 -o "$WORK/login$n.der"
    check "card $n: it is card$n of the test PKI" cmp "$WORK/login$n.der" "$pki/card$n.der"
    check "card $n: the login certificate has digitalSignature and no nonRepudiation" \
        is_key_usage "$WORK/login$n.der" DigitalSignature
    check "card $n: the signing certificate (id 0002) reads off the card" \
        card "$n" --read-object --type cert --id 0002 -o "$WORK/sign$n.der"
    check "card $n: it is card$n-sign of the test PKI" cmp "$WORK/sign$n.der" "$pki/card$n-sign.der"
    check "card $n: the signing certificate has nonRepudiation only" \
        is_key_usage "$WORK/sign$n.der" NonRepudiation

    pubkey_of "$pki/card$n-sign.pem" "$WORK/sign$n.pub"
    pubkey_of "$pki/card$n.pem" "$WORK/login$n.pub"
    check "card $n: the signing key signs with the card PIN" card "$n" --login --pin "$CARDBOUND_CARD_PIN" \
        --sign --mechanism SHA256-RSA-PKCS --id 0002 -i "$WORK/data" -o "$WORK/sig$n"
    check_output "card $n: openssl verifies it with card$n-sign" "^Verified OK" \
        openssl dgst -sha256 -verify "$WORK/sign$n.pub" -signature "$WORK/sig$n" "$WORK/data"
    check_fails "card $n: the signature does not cover other data" "Verification failure" \
        openssl dgst -sha256 -verify "$WORK/sign$n.pub" -signature "$WORK/sig$n" "$WORK/tampered"
    check_fails "card $n: the login key did not make it" "Verification failure" \
        openssl dgst -sha256 -verify "$WORK/login$n.pub" -signature "$WORK/sig$n" "$WORK/data"
done
# The card has one PIN (libcacard): the signing PIN of token cardbound-soft-sign
# is not the card's and is refused (one wrong try; the next good login resets it).
check_fails "card 0 refuses the soft-sign PIN for its signing key" "CKR_PIN_INCORRECT" \
    card 0 --login --pin "$CARDBOUND_SIGN_PIN" --sign --mechanism SHA256-RSA-PKCS --id 0002 \
    -i "$WORK/data" -o "$WORK/bad"
check "card 0 signs again with its PIN" card 0 --login --pin "$CARDBOUND_CARD_PIN" \
    --sign --mechanism SHA256-RSA-PKCS --id 0002 -i "$WORK/data" -o "$WORK/sig0b"

# cardbound-soft-sign: its own PIN, two signing keys.
soft() { # soft TOKEN ARGS...
    local token="$1"
    shift
    pkcs11-tool --module "$CARDBOUND_SOFTHSM_MODULE" --token-label "$token" "$@"
}
check "the bench names the token" [ "$CARDBOUND_SOFT_SIGN_TOKEN" == cardbound-soft-sign ]
check "its PIN is not the card PIN" [ "$CARDBOUND_SIGN_PIN" != "$CARDBOUND_CARD_PIN" ]
check_fails "cardbound-soft-sign refuses the card PIN" "CKR_PIN_INCORRECT" \
    soft cardbound-soft-sign --login --pin "$CARDBOUND_CARD_PIN" -O
objects="$(soft cardbound-soft-sign --login --pin "$CARDBOUND_SIGN_PIN" -O 2>&1)" ||
    fail "cardbound-soft-sign refused its own PIN: $objects"
keys="$(grep -c "^Private Key Object" <<<"$objects" || true)"
[[ "$keys" == 2 ]] || fail "cardbound-soft-sign should show 2 private keys after login, shows $keys: $objects"
pass "cardbound-soft-sign accepts its own PIN and shows its two private keys"
check_fails "cardbound-soft refuses the signing PIN" "CKR_PIN_INCORRECT" \
    soft "$CARDBOUND_SOFT_TOKEN" --login --pin "$CARDBOUND_SIGN_PIN" -O
openssl dgst -sha256 -binary "$WORK/data" >"$WORK/data.sha256"
# id, certificate, mechanism, input: SoftHSM2 signs a digest made here with ECDSA.
while read -r id cert mechanism input; do
    check "cardbound-soft-sign: $cert (id $id) reads off the token" \
        soft cardbound-soft-sign --read-object --type cert --id "$id" -o "$WORK/$cert.der"
    check "cardbound-soft-sign: it is $cert of the test PKI" cmp "$WORK/$cert.der" "$pki/$cert.der"
    pubkey_of "$pki/$cert.pem" "$WORK/$cert.pub"
    check "cardbound-soft-sign: $cert signs with the signing PIN" soft cardbound-soft-sign --login \
        --pin "$CARDBOUND_SIGN_PIN" --sign --id "$id" --mechanism "$mechanism" --signature-format openssl \
        -i "$WORK/$input" -o "$WORK/$cert.sig"
    check_output "openssl verifies the $cert signature" "^Verified OK" \
        openssl dgst -sha256 -verify "$WORK/$cert.pub" -signature "$WORK/$cert.sig" "$WORK/data"
done <<'EOF'
01 sign-p256 ECDSA data.sha256
02 sign-rsa2048 SHA256-RSA-PKCS data
EOF
soft_certs="$(soft "$CARDBOUND_SOFT_TOKEN" -O --type cert 2>&1 | grep -c "^Certificate Object" || true)"
[[ "$soft_certs" == 3 ]] || fail "cardbound-soft should still hold 3 certificates, holds $soft_certs"
pass "cardbound-soft still holds its three login certificates only"
done_testing

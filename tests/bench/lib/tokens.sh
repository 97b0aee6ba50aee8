# SoftHSM2 tokens and the NSS database through which libcacard reaches them.
#
# Token "cardbound-soft" holds the three good client keys (RSA-2048, EC P-256,
# EC P-384) for tests that use PKCS#11 directly. Token "cardbound-soft-sign",
# with its own user PIN, holds two signing keys (EC P-256, RSA-2048): a card
# whose signing key sits behind a second PIN, as OpenSC shows an eID card's
# signing PIN as a slot of its own. Tokens "cardbound-card0" and
# "cardbound-card1" hold the keys of the two virtual cards, a login key (id 01)
# and a signing key (id 02) each; only the virtual card processes use them
# (through NSS), so they behave like keys on a card. libcacard gives a card one
# PIN, so both keys of a virtual card share it.

SOFTHSM_DIR="$BENCH_DIR/softhsm"
NSS_DB="$BENCH_DIR/nssdb"
export SOFTHSM2_CONF="$SOFTHSM_DIR/softhsm2.conf"

SOFT_TOKEN=cardbound-soft
SOFT_SIGN_TOKEN=cardbound-soft-sign
card_token() { echo "cardbound-card$1"; }

# import_key TOKEN NAME ID [PIN]: the private key and certificate NAME of the PKI.
import_key() {
    local token="$1" name="$2" id="$3" pin="${4:-$USER_PIN}"
    softhsm2-util --import "$PKI_DIR/$name.key" --token "$token" --label "$name" --id "$id" \
        --pin "$pin" >/dev/null
    pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$token" --login --pin "$pin" \
        --write-object "$PKI_DIR/$name.der" --type cert --id "$id" --label "$name" >/dev/null
}

make_token() { # make_token LABEL [PIN]
    softhsm2-util --init-token --free --label "$1" --pin "${2:-$USER_PIN}" --so-pin "$SO_PIN" >/dev/null
}

# slot_id LABEL: the PKCS#11 slot id SoftHSM2 gives the token (it is derived
# from the token's serial, so it is fixed once the token exists).
slot_id() {
    softhsm2-util --show-slots | awk -v label="$1" '
        /^Slot [0-9]+/ { slot = $2 }
        $1 == "Label:" { $1 = ""; sub(/^ +/, ""); sub(/ +$/, ""); if ($0 == label) print slot }'
}

# pkcs11-tool --token-label matches a prefix and takes the first slot that
# matches, and SoftHSM2 orders its slots by an id derived from a token's random
# serial: "--token-label cardbound-soft" would pick cardbound-soft-sign whenever
# that token's slot came first. So the two tokens are made empty, and if the
# order is wrong they swap labels (initialising a token again keeps its slot).
make_soft_tokens() {
    make_token "$SOFT_TOKEN"
    make_token "$SOFT_SIGN_TOKEN" "$SIGN_PIN"
    local soft sign
    soft="$(slot_id "$SOFT_TOKEN")" sign="$(slot_id "$SOFT_SIGN_TOKEN")"
    if ((sign < soft)); then
        softhsm2-util --init-token --slot "$sign" --label "$SOFT_TOKEN" --pin "$USER_PIN" \
            --so-pin "$SO_PIN" >/dev/null
        softhsm2-util --init-token --slot "$soft" --label "$SOFT_SIGN_TOKEN" --pin "$SIGN_PIN" \
            --so-pin "$SO_PIN" >/dev/null
    fi
    (($(slot_id "$SOFT_TOKEN") < $(slot_id "$SOFT_SIGN_TOKEN"))) ||
        die "$SOFT_SIGN_TOKEN must come after $SOFT_TOKEN in SoftHSM2's slot list"
}

# NSS treats a token that wants a login as private: it would ask for the PIN
# just to find a certificate, long before the card's VERIFY brings one. A real
# card's certificates are public, so the card tokens get NSS's PublicCerts
# slot flag. modutil cannot set it; the module entry is written here instead.
add_softhsm_to_nss() {
    local params="" n id
    for n in 0 1; do
        id="$(slot_id "$(card_token $n)")"
        [[ -n "$id" ]] || die "SoftHSM2 has no token $(card_token $n)"
        params+="${params:+ }$id={slotFlags=[PublicCerts]}"
    done
    printf 'library=%s\nname=softhsm\nNSS=slotParams=(%s)\n\n' "$SOFTHSM_MODULE" "$params" \
        >>"$NSS_DB/pkcs11.txt"
}

# The tokens hold keys of one particular PKI: they are ready when they were
# made from the PKI that is there now, by this very file, with the PINs of
# common.sh.
tokens_stamp() { cat "$PKI_DIR/.complete" "${BASH_SOURCE[0]}" "$BENCH_SRC/lib/common.sh" | sha256sum | cut -c1-16; }
tokens_ready() {
    [[ -f "$SOFTHSM_DIR/.complete" && "$(cat "$SOFTHSM_DIR/.complete")" == "$(tokens_stamp)" &&
        -f "$NSS_DB/.complete" ]]
}

make_tokens() {
    tokens_ready && return 0
    say "creating SoftHSM2 tokens and the NSS database"
    rm -rf "$SOFTHSM_DIR" "$NSS_DB"
    mkdir -p "$SOFTHSM_DIR/tokens" "$NSS_DB"
    cat >"$SOFTHSM2_CONF" <<EOF
directories.tokendir = $SOFTHSM_DIR/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
    make_soft_tokens
    import_key "$SOFT_TOKEN" client-rsa2048 01
    import_key "$SOFT_TOKEN" client-p256 02
    import_key "$SOFT_TOKEN" client-p384 03
    import_key "$SOFT_SIGN_TOKEN" sign-p256 01 "$SIGN_PIN"
    import_key "$SOFT_SIGN_TOKEN" sign-rsa2048 02 "$SIGN_PIN"
    local n
    for n in 0 1; do
        make_token "$(card_token $n)"
        import_key "$(card_token $n)" "card$n" 01
        import_key "$(card_token $n)" "card$n-sign" 02
    done
    tokens_stamp >"$SOFTHSM_DIR/.complete"

    certutil -N -d "sql:$NSS_DB" --empty-password
    add_softhsm_to_nss
    touch "$NSS_DB/.complete"
}

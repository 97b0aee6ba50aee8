#!/usr/bin/env bash
# The virtual card, seen through pcscd and OpenSC's PKCS#11 module as a real
# card in a real reader: login, sign, wrong PIN, blocked PIN, pull, insert.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_bench_env

reader=("$CARDBOUND_READER_0" "$CARDBOUND_READER_1")
card() { # card N ARGS...: pkcs11-tool on the card in reader N
    local n="$1"
    shift
    pkcs11-tool --module "$CARDBOUND_OPENSC_MODULE" --slot-description "${reader[$n]}" "$@"
}
sign() { # sign N PIN OUT
    card "$1" --login --pin "$2" --sign --mechanism SHA256-RSA-PKCS --id 0001 -i "$WORK/data" -o "$3"
}
reader_shows() { # reader_shows N Yes|No
    opensc-tool -l | grep -Eq "^[0-9]+ +$2 .*${reader[$1]}\$"
}
head -c 1000 /dev/urandom >"$WORK/data"

check_output "OpenSC sees card 0 as a CAC card in ${reader[0]}" "Common Access Card" card 0 -L
check_output "card 0 carries Mari's certificate" "CN=Card,Mari,48001010007" card 0 -O
check "the certificate reads off the card" card 0 --read-object --type cert --id 0001 -o "$WORK/card0.der"
check "it is the certificate of the test PKI" cmp "$WORK/card0.der" "$CARDBOUND_PKI_DIR/card0.der"
pubkey_of "$WORK/card0.der" "$WORK/card0.pub"

check "card 0 logs in with the PIN and signs" sign 0 "$CARDBOUND_CARD_PIN" "$WORK/sig0"
check_output "openssl verifies the card's signature with its certificate" "^Verified OK" \
    openssl dgst -sha256 -verify "$WORK/card0.pub" -signature "$WORK/sig0" "$WORK/data"

check_fails "a wrong PIN is refused with CKR_PIN_INCORRECT" "CKR_PIN_INCORRECT" sign 0 99999999 "$WORK/bad"
check "after a wrong PIN the right one still works" sign 0 "$CARDBOUND_CARD_PIN" "$WORK/sig0b"

# The card counts wrong PINs as a real card does, and keeps the count when it
# is pulled. Card 1 is used so that card 0 stays usable for the rest.
check_fails "card 1: first wrong PIN" "CKR_PIN_INCORRECT" sign 1 99999999 "$WORK/bad"
check_fails "card 1: second wrong PIN" "CKR_PIN_INCORRECT" sign 1 99999999 "$WORK/bad"
check_output "card 1 reports its final try" "final user PIN try" card 1 -L
check_fails "card 1: the third wrong PIN blocks it" "CKR_PIN_LOCKED" sign 1 99999999 "$WORK/bad"
check_fails "a blocked card refuses even the right PIN" "CKR_PIN_LOCKED" sign 1 "$CARDBOUND_CARD_PIN" "$WORK/bad"
check "pull card 1" "$BENCH" pull 1
check "insert card 1" "$BENCH" insert 1
check_fails "card 1 is still blocked after a pull and insert" "CKR_PIN_LOCKED" sign 1 "$CARDBOUND_CARD_PIN" "$WORK/bad"
check "bench reset-pin gives card 1 its tries back" "$BENCH" reset-pin 1
check "card 1 signs again" sign 1 "$CARDBOUND_CARD_PIN" "$WORK/sig1"

check "bench pull 0" "$BENCH" pull 0
check "opensc-tool -l shows ${reader[0]} empty" reader_shows 0 No
check "the other reader still holds its card" reader_shows 1 Yes
slot_empty() { # slot_empty N: OpenSC's PKCS#11 slot of reader N has no token
    pkcs11-tool --module "$CARDBOUND_OPENSC_MODULE" -L | grep -A1 -F "${reader[$1]}" | grep -qF "(empty)"
}
check "PKCS#11 shows the slot empty" slot_empty 0
check_fails "signing fails with the card out" "CKR_TOKEN_NOT_PRESENT|CKR_DEVICE_REMOVED|No slot|not found" \
    sign 0 "$CARDBOUND_CARD_PIN" "$WORK/gone"

check "bench insert 0" "$BENCH" insert 0
check "opensc-tool -l shows the card back" reader_shows 0 Yes
check "a new login and sign work again" sign 0 "$CARDBOUND_CARD_PIN" "$WORK/sig0c"
check_output "and the signature verifies" "^Verified OK" \
    openssl dgst -sha256 -verify "$WORK/card0.pub" -signature "$WORK/sig0c" "$WORK/data"
done_testing

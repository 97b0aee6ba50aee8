#!/usr/bin/env bash
# Brings the bench up for the tests that follow (a CTest fixture) and checks
# what it promises: both cards in their readers, the environment it prints.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

env_file="$WORK/env"
"$BENCH" up >"$env_file" || fail "bench up failed"
pass "bench up"
for var in CARDBOUND_PKI_DIR SOFTHSM2_CONF CARDBOUND_SOFTHSM_MODULE CARDBOUND_OPENSC_MODULE \
    CARDBOUND_USER_PIN CARDBOUND_SO_PIN CARDBOUND_CARD_PIN CARDBOUND_SOFT_SIGN_TOKEN CARDBOUND_SIGN_PIN \
    CARDBOUND_OCSP_URL; do
    grep -q "^export $var=" "$env_file" || fail "bench up did not print $var"
done
pass "bench up prints the environment other tools need"
source "$env_file"
check "the PKCS#11 modules it names exist" test -f "$CARDBOUND_SOFTHSM_MODULE" -a -f "$CARDBOUND_OPENSC_MODULE"
check_output "both readers hold a card" "Yes +$CARDBOUND_READER_0(.|$)" opensc-tool -l
check_output "the second reader holds one too" "Yes +$CARDBOUND_READER_1" opensc-tool -l
done_testing

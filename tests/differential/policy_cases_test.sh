#!/usr/bin/env bash
# ctest policy_cases: writes the case set into a temporary folder and runs
# cardbound-verify on it; every case must get its expected answer and every
# rule of docs/protocol.md section 8 must be covered. Then one expectation is
# made wrong on purpose: run-cases must notice it.
# Usage: policy_cases_test.sh CARDBOUND-POLICY-CASES CARDBOUND-VERIFY PROTOCOL.md
set -euo pipefail
generator=$1 verifier=$2 protocol=$3
run_cases="$(dirname "$0")/run-cases"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$generator" "$tmp/cases"
node "$run_cases" --cases "$tmp/cases" --verifier "$verifier" --rules-from "$protocol"

# A wrong expectation must fail: the first valid case now expects a refusal.
first=$(grep -l '"expectedCode": "VALID"' "$tmp"/cases/*/case.json | sed -n 1p) # reads all: no SIGPIPE under pipefail
sed -i 's/"expectedCode": "VALID"/"expectedCode": "CERT_EXPIRED"/' "$first"
if node "$run_cases" --cases "$tmp/cases" --verifier "$verifier" >"$tmp/wrong.txt"; then
    echo "run-cases accepted a wrong expectation in $first" >&2
    exit 1
fi
grep -q 'DIFFERS' "$tmp/wrong.txt"
echo "a wrong expectation is noticed: ok"

#!/usr/bin/env bash
# ctest differential_java: the same fresh case set through cardbound-verify
# and the Java validator's CLI; every case must get the same answer from both
# (exit status and code). That cardbound-verify's answers are the expected
# ones, for every rule of the table, is ctest policy_cases.
# Usage: differential_java_test.sh CARDBOUND-POLICY-CASES CARDBOUND-VERIFY CARDBOUND-VERIFY-JAVA
set -euo pipefail
generator=$1 verifier=$2 java_verifier=$3
run_cases="$(dirname "$0")/run-cases"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$generator" "$tmp/cases"
node "$run_cases" --cases "$tmp/cases" --compare "$verifier" "$java_verifier" --jobs 2

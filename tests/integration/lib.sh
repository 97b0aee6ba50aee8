# Helpers for the bench integration tests (sourced by each test script).
#
# Every check prints one line; the first failed check ends the test with a
# non-zero exit and says what was expected and what happened.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$REPO_ROOT/tests/bench/bench"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cardbound-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
CHECKS=0

load_bench_env() {
    local env
    env="$("$BENCH" env)" || { echo "FAIL: the bench is not up" >&2; exit 1; }
    eval "$env"
}

pass() {
    CHECKS=$((CHECKS + 1))
    echo "ok $CHECKS - $*"
}
fail() {
    echo "FAIL - $*" >&2
    exit 1
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
    local what="$1"
    shift
    local out
    if out="$("$@" 2>&1)"; then pass "$what"; else fail "$what: '$*' failed: $out"; fi
}

# check_output DESCRIPTION PATTERN COMMAND...: the command's output (stdout and
# stderr) must match the extended regular expression, whatever its exit code.
# An exit by a signal (a crash) always fails.
check_output() {
    local what="$1" pattern="$2"
    shift 2
    local out rc=0
    out="$("$@" 2>&1)" || rc=$?
    ((rc < 128)) || fail "$what: '$*' died by signal $((rc - 128)): $out"
    if grep -Eq -- "$pattern" <<<"$out"; then pass "$what"; else fail "$what: expected /$pattern/ from '$*', got: $out"; fi
}

# check_fails DESCRIPTION PATTERN COMMAND...: must exit non-zero (not by a
# signal) with output matching the pattern.
check_fails() {
    local what="$1" pattern="$2"
    shift 2
    local out rc=0
    out="$("$@" 2>&1)" || rc=$?
    ((rc != 0)) || fail "$what: '$*' succeeded but should have failed: $out"
    ((rc < 128)) || fail "$what: '$*' died by signal $((rc - 128)): $out"
    if grep -Eq -- "$pattern" <<<"$out"; then pass "$what"; else fail "$what: expected /$pattern/ from '$*', got: $out"; fi
}

# check_exit DESCRIPTION STATUS PATTERN COMMAND...: must exit with exactly
# STATUS, its output matching the pattern.
check_exit() {
    local what="$1" want="$2" pattern="$3"
    shift 3
    local out rc=0
    out="$("$@" 2>&1)" || rc=$?
    ((rc == want)) || fail "$what: '$*' exited $rc, not $want: $out"
    if grep -Eq -- "$pattern" <<<"$out"; then pass "$what"; else fail "$what: expected /$pattern/ from '$*', got: $out"; fi
}

# pubkey_of CERT.pem|CERT.der OUT.pem
pubkey_of() {
    local form=PEM
    [[ "$1" == *.der ]] && form=DER
    openssl x509 -inform "$form" -in "$1" -noout -pubkey >"$2"
}

done_testing() { echo "$CHECKS checks passed"; }

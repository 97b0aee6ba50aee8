#!/usr/bin/env bash
# Takes the bench down after the tests (the CTest fixture's cleanup) and checks
# that nothing it started is left, then that up and down work once more.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_bench_env
run="$CARDBOUND_BENCH_DIR/run"

started_pids() { cat "$run"/*.pid 2>/dev/null | cut -d' ' -f1; }
no_leftovers() { # no_leftovers PIDS...: none of them runs, and no virtual card does
    local pid
    for pid in "$@"; do
        # A zombie (ended, not yet reaped by its adopter) has ended.
        [[ ! -e "/proc/$pid/stat" || "$(awk '{ print $3 }' "/proc/$pid/stat")" == Z ]] ||
            fail "process $pid still runs after bench down"
    done
    ! pgrep -r R,S,D -f "virtual-card/virtual-card" >/dev/null || fail "a virtual card still runs"
    ! ls "$run"/*.pid >/dev/null 2>&1 || fail "pid files are left in $run"
}

for round in 1 2; do
    mapfile -t pids < <(started_pids)
    check "round $round: bench down" "$BENCH" down
    no_leftovers "${pids[@]}"
    pass "round $round: nothing the bench started is left (${#pids[@]} processes stopped)"
    check "round $round: bench down again is harmless" "$BENCH" down
    if ((round == 1)); then
        check "bench up after down" "$BENCH" up
        check_output "the cards are back" "Yes +$CARDBOUND_READER_0" opensc-tool -l
    fi
done
done_testing

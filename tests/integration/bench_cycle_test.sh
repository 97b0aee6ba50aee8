#!/usr/bin/env bash
# bench up/pull/insert work again and again in one session: `up` on a running
# bench starts nothing new, pull and insert can be repeated.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_bench_env

pids() { cat "$CARDBOUND_BENCH_DIR"/run/*.pid 2>/dev/null | sort; }
before="$(pids)"
check "bench up again on a running bench" "$BENCH" up
[[ "$(pids)" == "$before" ]] || fail "a second bench up changed the processes: $before -> $(pids)"
pass "a second bench up starts nothing new"

state() { opensc-tool -l | awk -v r="$1" 'index($0, r) { print $2 }'; }
for round in 1 2 3; do
    for n in 0 1; do
        reader_var="CARDBOUND_READER_$n"
        check "round $round: pull card $n" "$BENCH" pull "$n"
        [[ "$(state "${!reader_var}")" == No ]] || fail "round $round: reader $n not empty after pull"
        check "round $round: pull card $n twice is harmless" "$BENCH" pull "$n"
        check "round $round: insert card $n" "$BENCH" insert "$n"
        [[ "$(state "${!reader_var}")" == Yes ]] || fail "round $round: reader $n empty after insert"
    done
done
check_fails "an unknown card number is refused" "no card '7'" "$BENCH" pull 7
check_fails "an unknown command is refused" "Usage" "$BENCH" frobnicate
done_testing

# Shared by the bench: where things live, messages, and the processes we own.
# Sourced by tests/bench/bench; not meant to run on its own.

BENCH_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$BENCH_SRC/../.." && pwd)"
BUILD_DIR="${CARDBOUND_BUILD_DIR:-$REPO_ROOT/build}"
BENCH_DIR="${CARDBOUND_BENCH_DIR:-${TMPDIR:-/tmp}/cardbound-bench-$(id -u)}"
RUN_DIR="$BENCH_DIR/run"
LOG_DIR="$BENCH_DIR/log"
PKI_DIR="$BENCH_DIR/pki"

SOFTHSM_MODULE="${CARDBOUND_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
OPENSC_MODULE="${CARDBOUND_OPENSC_MODULE:-/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so}"
OCSP_PORT="${CARDBOUND_OCSP_PORT:-18888}"
OCSP_URL="http://127.0.0.1:$OCSP_PORT"

# Test secrets of a test bench; nothing real is protected by them.
USER_PIN=123456
SO_PIN=12345678
# The user PIN of token cardbound-soft-sign (a signing PIN of its own).
SIGN_PIN=654321

# The two readers one vpcd entry gives, and the ports their cards connect to.
READER_NAMES=("Virtual PCD 00 00" "Virtual PCD 00 01")
READER_PORTS=(35963 35964)

say() { echo "bench: $*" >&2; }
die() {
    echo "bench: error: $*" >&2
    exit 1
}

# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

# Processes the bench started are recorded as RUN_DIR/NAME.pid together with
# the program they run, so that `down` never kills a recycled process id.
start_daemon() { # start_daemon NAME COMMAND...
    local name="$1"
    shift
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    # No inherited stdio: a test runner waits for its pipes to close.
    "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
    echo "$! $(basename "$1")" >"$RUN_DIR/$name.pid"
}

# alive PID: the process runs. A process that ended stays a zombie until
# whoever adopted it reaps it, which can take seconds; it counts as ended.
alive() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat:0:1}" != Z ]]
}

daemon_pid() { # daemon_pid NAME: prints the pid if that process still runs
    local file="$RUN_DIR/$1.pid" pid prog
    [[ -f "$file" ]] || return 1
    read -r pid prog <"$file"
    alive "$pid" || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" | head -1 | grep -q "$prog\$" || return 1
    echo "$pid"
}

stop_daemon() { # stop_daemon NAME: SIGTERM, then SIGKILL after 5 s
    local pid
    if pid="$(daemon_pid "$1")"; then
        kill -TERM "$pid" 2>/dev/null || true
        wait_until 5 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null || true
        wait_until 2 eval "! alive $pid" || true
    fi
    rm -f "$RUN_DIR/$1.pid"
}

# Shared helpers for the integration suites (sourced, not run).
# Counters are global so one summary line covers every suite.
PASSED=${PASSED:-0}
FAILED=${FAILED:-0}
FAILURES=${FAILURES:-}

ok()     { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); FAILURES="$FAILURES
  $*"; echo "not ok - $*"; }

# check NAME COMMAND...: passes when COMMAND exits 0.
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi; }
# expect_eq NAME ACTUAL EXPECTED
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', expected '$3')"; fi; }
# expect_contains NAME HAYSTACK NEEDLE
expect_contains() { case "$2" in *"$3"*) ok "$1" ;; *) not_ok "$1 ('$3' not in '$(printf %s "$2" | head -c 300)')" ;; esac; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_port PORT: up to 10 s for a TCP listener.
wait_port() {
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

ESTFCGI=${ESTFCGI:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.build/debug/estfcgi}

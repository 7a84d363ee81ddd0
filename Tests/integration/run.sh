#!/usr/bin/env bash
# The integration suite: real estfcgi, real nginx (and Apache), real curl and openssl,
# a real SQLite file. Prints one summary line "integration: N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/estfcgi-it.XXXXXX)
export WORK
source "$HERE/lib.sh"
source "$HERE/../../scripts/demo-pki.sh"
source "$HERE/scenarios.sh"
source "$HERE/cli.sh"
source "$HERE/legacy.sh"
source "$HERE/nginx.sh"
source "$HERE/policy.sh"
source "$HERE/operations.sh"
source "$HERE/apache.sh"
source "$HERE/cgi.sh"
source "$HERE/attacks.sh"
source "$HERE/der.sh"
source "$HERE/concurrency.sh"
source "$HERE/postgres.sh"
source "$HERE/tenants.sh"
source "$HERE/ocsp.sh"
source "$HERE/rollover.sh"
source "$HERE/pkcs11.sh"
source "$HERE/hook.sh"
source "$HERE/notify.sh"
source "$HERE/linger.sh"

# Each stop in a subshell: one whose suite did not run may fail on an unset variable (set -u),
# which would end the cleanup there and leave the rest running.
cleanup() {
  local stop
  for stop in tenants_stop nginx_stop apache_stop cgi_apache_stop cgi_nginx_stop postgres_stop hook_stop notify_stop linger_stream_nginx_stop linger_keep_nginx_stop; do
    ( "$stop" ) 2>/dev/null || true
  done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$ESTFCGI" ] || { echo "build first: $ESTFCGI missing"; exit 2; }
suites=${*:-cli legacy nginx policy operations attacks der concurrency apache cgi tenants postgres ocsp rollover pkcs11 hook notify linger}
pki_setup
for s in $suites; do
  echo "# suite $s"
  "suite_$s"
done

[ "$FAILED" -eq 0 ] || printf 'failures:%s\n' "$FAILURES"
echo "integration: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

# Operating estfcgi (sourced): `doctor` on a healthy store and on broken ones, `stats` after
# a known sequence through nginx, the shipped configs checked by doctor.

# doctor_run NAME ARGS...: runs doctor; DOCTOR_OUT, DOCTOR_RC.
doctor_run() { DOCTOR_OUT=$("$ESTFCGI" doctor "$@" 2>&1); DOCTOR_RC=$?; }
# doctor_run_bounded ARGS...: the same, killed after 30 s (exit 124) should it hang.
doctor_run_bounded() { DOCTOR_OUT=$(timeout 30 "$ESTFCGI" doctor "$@" 2>&1); DOCTOR_RC=$?; }

suite_operations() {
  local s=operations e=$ESTFCGI d=$WORK/ops out
  mkdir -p "$d"
  if ! nginx_start; then not_ok "$s: front and responder start"; nginx_stop; return; fi
  ok "$s: front and responder start"
  BASE=https://127.0.0.1:$NGINX_PORT

  # --- doctor --------------------------------------------------------------------------
  doctor_run --nginx-conf "$WORK/nginx/estfcgi.conf"
  expect_eq "$s: doctor on the demo store and the shipped nginx config: exit 0" "$DOCTOR_RC" 0
  expect_contains "$s: ... no FAIL line" "$(printf '%s\n' "$DOCTOR_OUT" | tail -1)" " 0 FAIL"
  expect_contains "$s: ... the passphrase opens the issuing CA's key" "$DOCTOR_OUT" "OK    ca issuing  key decrypts with the passphrase"
  expect_contains "$s: ... the config takes the certificate from TLS" "$DOCTOR_OUT" 'SSL_CLIENT_CERT from the TLS layer ($ssl_client_escaped_cert)'
  expect_contains "$s: ... and reaches the responder" "$DOCTOR_OUT" "responder at 127.0.0.1:$FCGI_PORT accepts connections"
  doctor_run --json
  expect_eq "$s: doctor --json: every finding has level, subject, detail and fix" \
    "$(printf '%s' "$DOCTOR_OUT" | python3 -c 'import json,sys; f=json.load(sys.stdin); print(len(f) > 10, all(set(x) == {"level","subject","detail","fix"} for x in f))')" \
    "True True"

  # A config that forwards a header as the certificate.
  sed 's#fastcgi_param SSL_CLIENT_CERT $ssl_client_escaped_cert;#fastcgi_param SSL_CLIENT_CERT $http_x_ssl_client_cert;#' \
    "$WORK/nginx/estfcgi.conf" > "$d/header.conf"
  doctor_run --nginx-conf "$d/header.conf"
  expect_eq "$s: doctor: a config forwarding a header -> exit 1" "$DOCTOR_RC" 1
  expect_contains "$s: ... FAIL naming the header" "$DOCTOR_OUT" 'is set from $http_x_ssl_client_cert, not from the TLS layer: a request header'
  sed 's#ssl_verify_client optional_no_ca;#ssl_verify_client off;#' "$WORK/nginx/estfcgi.conf" > "$d/noverify.conf"
  doctor_run --nginx-conf "$d/noverify.conf"
  expect_contains "$s: doctor: no client certificate asked for -> FAIL" "$DOCTOR_OUT" "FAIL  nginx $d/noverify.conf"
  # The shipped Apache vhost, and one that sets the certificate from a header.
  sed "s#unix:/run/estfcgi/estfcgi.sock|#unix:$d/none.sock|#" "$ROOT/apache/estfcgi.conf" > "$d/apache.conf"
  doctor_run --apache-conf "$d/apache.conf"
  expect_contains "$s: doctor --apache-conf: the shipped vhost asks for certificates" "$DOCTOR_OUT" "SSLVerifyClient optional_no_ca"
  expect_contains "$s: ... exports them" "$DOCTOR_OUT" "OK    apache $d/apache.conf  SSLOptions +ExportCertData"
  expect_contains "$s: ... and says when the socket is missing" "$DOCTOR_OUT" "no socket at $d/none.sock"
  sed 's#^\(\s*\)SetOutputFilter BUFFER#\1RequestHeader set SSL_CLIENT_CERT "%{HTTP:X-Client-Cert}e"\n\1SetOutputFilter BUFFER#' \
    "$d/apache.conf" > "$d/apache-header.conf"
  doctor_run --apache-conf "$d/apache-header.conf"
  expect_contains "$s: doctor --apache-conf: a header as the certificate -> FAIL" "$DOCTOR_OUT" "sets SSL_CLIENT_CERT from a request header"

  # Hostile configs (issue 20 item 5) get a FAIL with the reason, not a hang or a crash: a
  # file that includes itself ten times (10^8 reads before), 200,000 nested blocks (SIGSEGV).
  local i
  for i in $(seq 10); do echo "include self.conf;"; done > "$d/self.conf"
  doctor_run_bounded --nginx-conf "$d/self.conf"
  expect_eq "$s: doctor --nginx-conf on a file that includes itself: exit 1 within 30 s" "$DOCTOR_RC" 1
  expect_contains "$s: ... FAIL naming the cycle" "$DOCTOR_OUT" "FAIL  nginx $d/self.conf  not checked: include cycle: $d/self.conf -> $d/self.conf"
  python3 -c 'import sys; sys.stdout.write("a {" * 200000 + "}" * 200000)' > "$d/deep.conf"
  doctor_run_bounded --nginx-conf "$d/deep.conf"
  expect_eq "$s: doctor --nginx-conf on 200,000 nested blocks: exit 1 (no crash) within 30 s" "$DOCTOR_RC" 1
  expect_contains "$s: ... FAIL naming the depth" "$DOCTOR_OUT" "FAIL  nginx $d/deep.conf  not checked: blocks nested deeper than 64 (at $d/deep.conf:1)"
  for i in $(seq 10); do echo "Include self-apache.conf"; done > "$d/self-apache.conf"
  doctor_run_bounded --apache-conf "$d/self-apache.conf"
  expect_eq "$s: doctor --apache-conf on a file that includes itself: exit 1 within 30 s" "$DOCTOR_RC" 1
  expect_contains "$s: ... FAIL naming the cycle" "$DOCTOR_OUT" "FAIL  apache $d/self-apache.conf  not checked: include cycle: $d/self-apache.conf -> $d/self-apache.conf"
  python3 -c 'import sys; sys.stdout.write("<If x>\n" * 200000 + "</If>\n" * 200000)' > "$d/deep-apache.conf"
  doctor_run_bounded --apache-conf "$d/deep-apache.conf"
  expect_eq "$s: doctor --apache-conf on 200,000 nested sections: exit 1 within 30 s" "$DOCTOR_RC" 1
  expect_contains "$s: ... FAIL naming the depth" "$DOCTOR_OUT" "FAIL  apache $d/deep-apache.conf  not checked: sections nested deeper than 64"
  mkdir -p "$d/many"; for i in $(seq 1000); do : > "$d/many/$i.conf"; done
  { cat "$WORK/nginx/estfcgi.conf"; echo "include many/*.conf;"; } > "$d/glob.conf"
  doctor_run_bounded --nginx-conf "$d/glob.conf"
  expect_contains "$s: doctor --nginx-conf: an include glob over 1000 files -> FAIL" "$DOCTOR_RC $DOCTOR_OUT" \
    "not checked: include $d/many/*.conf names 1000 files, more than the 512 doctor reads"

  # Broken stores, each a copy of a small healthy one.
  local k=$d/k
  mkdir -p "$k"; cp "$ESTFCGI_KEY_PASSPHRASE_FILE" "$k/pass"
  ( export ESTFCGI_DB=$k/ca.db ESTFCGI_KEY_PASSPHRASE_FILE=$k/pass
    "$e" init >/dev/null
    "$e" ca create --name root --subject 'CN=Doctor Root' --days 400 >/dev/null
    "$e" ca create --name short --issuer root --subject 'CN=Doctor Short' --days 10 >/dev/null
    "$e" profile create --default --issuer root --trust root >/dev/null )
  doctor_run --db "$k/ca.db" --key-passphrase-file "$k/pass"
  expect_eq "$s: doctor: a CA expiring in 10 days is a WARN, exit 0" "$DOCTOR_RC" 0
  expect_contains "$s: ... naming it and the days left" "$DOCTOR_OUT" "WARN  ca short  expires in 9 days"
  chmod 644 "$k/ca.db"
  doctor_run --db "$k/ca.db" --key-passphrase-file "$k/pass"
  expect_eq "$s: doctor: store mode 644 -> exit 1" "$DOCTOR_RC" 1
  expect_contains "$s: ... FAIL with the fix" "$DOCTOR_OUT" "fix: chmod 600 $k/ca.db"
  chmod 600 "$k/ca.db"
  echo 'not-the-passphrase-at-all' > "$k/wrong"; chmod 600 "$k/wrong"
  doctor_run --db "$k/ca.db" --key-passphrase-file "$k/wrong"
  expect_eq "$s: doctor: wrong passphrase -> exit 1" "$DOCTOR_RC" 1
  expect_contains "$s: ... FAIL per CA key" "$DOCTOR_OUT" "FAIL  ca root  key does not decrypt with this passphrase"
  sqlite3 "$k/ca.db" 'PRAGMA foreign_keys=OFF; UPDATE profiles SET issuer_ca_id = 4242'
  doctor_run --db "$k/ca.db" --key-passphrase-file "$k/pass"
  expect_eq "$s: doctor: a profile naming a CA not in the store -> exit 1" "$DOCTOR_RC" 1
  expect_contains "$s: ... FAIL naming the profile" "$DOCTOR_OUT" "FAIL  store  profile (default) names a row of cas that is not in the store"
  sqlite3 "$k/ca.db" "UPDATE profiles SET issuer_ca_id = (SELECT id FROM cas WHERE name = 'root'), label = 'crl'"
  doctor_run --db "$k/ca.db" --key-passphrase-file "$k/pass"
  expect_contains "$s: doctor: a profile label reserved since it was made -> FAIL" "$DOCTOR_OUT" \
    "FAIL  profile crl  label 'crl' is reserved or invalid now: no request reaches this profile"
  doctor_run --db "$d/nosuch.db"
  expect_eq "$s: doctor: no store -> exit 1" "$DOCTOR_RC/$(printf '%s\n' "$DOCTOR_OUT" | grep -c '^FAIL')" "1/1"

  # --- stats after a known sequence ----------------------------------------------------
  "$e" profile create --profile stats --issuer issuing --trust factory --validity-days 5 >/dev/null
  local i
  for i in 1 2 3; do
    mkcsr "st$i" ec-P-256 "/CN=dev-st$i/O=Example Devices"
    post /.well-known/est/stats/simpleenroll "$WORK/st$i.csr" boot boot
  done
  p7certs "$WORK/resp.body" "$WORK/st3.pem"
  mkcsr st3b ec-P-256 "/CN=dev-st3/O=Example Devices"
  post /.well-known/est/stats/simplereenroll "$WORK/st3b.csr" st3 st3
  post /.well-known/est/stats/simpleenroll "$WORK/st1.csr" boot-revoked boot-revoked
  post /.well-known/est/stats/simpleenroll "$WORK/st2.csr" boot-revoked boot-revoked
  mkcsr st-weak rsa:1024 "/CN=dev-st-weak"
  post /.well-known/est/stats/simpleenroll "$WORK/st-weak.csr" boot boot
  post /.well-known/est/stats/simpleenroll "$WORK/st1.csr" rogue rogue   # authenticates no one: not audited
  sleep 0.3  # the refusals' audit rows join the responder's next commit
  out=$("$e" stats --since 1h --json)
  expect_eq "$s: stats --json: the profile's enrollments, re-enrollments and refusals" \
    "$(printf '%s' "$out" | python3 -c 'import json,sys; p=json.load(sys.stdin)["profiles"]["stats"]; print(p["enrollments"], p["reenrollments"], p["serverkeygen"], p["pending"], p["refusals"])')" \
    "3 1 0 0 3"
  expect_eq "$s: stats --json: its refusals by reason" \
    "$(printf '%s' "$out" | python3 -c 'import json,sys; r=[x for x in json.load(sys.stdin)["refusals"] if x["profile"]=="stats"]; print(";".join("%d %d %s" % (x["count"], x["status"], x["reason"]) for x in r))')" \
    "2 403 client certificate is revoked;1 400 RSA key of N bits refused (minimum N)"
  expect_eq "$s: stats --json: certificates expiring within 7 days, as cert list counts them" \
    "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["expiring"]["within_7_days"])')" \
    "$("$e" cert list --expiring-within 7 | wc -l)"
  check "$s: ... which include the profile's four" test "$("$e" cert list --profile stats --expiring-within 7 | wc -l)" -eq 4
  out=$("$e" stats --since 1h)
  expect_contains "$s: stats as text: a line per profile" "$out" "$(printf 'stats\t3\t1\t0\t0\t3')"
  out=$("$e" stats --since yesterday 2>&1); local rc=$?
  expect_eq "$s: stats --since with a bad value -> one error line" "$rc/$(printf '%s\n' "$out" | wc -l)" "1/1"

  # --- a store another process holds locked: 503 with Retry-After, never 500 -----------
  # sqlite3 holds the write lock (BEGIN IMMEDIATE) until told to roll back: reads go on,
  # an enrollment waits out the busy timeout (10 s) and is told to retry.
  local lockfifo=$d/lock.fifo lockpid
  mkcsr lk ec-P-256 "/CN=dev-lk/O=Example Devices"
  mkfifo "$lockfifo"
  sqlite3 "$ESTFCGI_DB" < "$lockfifo" > "$d/lock.out" 2>&1 & lockpid=$!
  exec 7> "$lockfifo"
  echo 'BEGIN IMMEDIATE; SELECT 1;' >&7
  sleep 0.5
  post /.well-known/est/simpleenroll "$WORK/lk.csr" boot boot
  expect_eq "$s: an enrollment while another process holds the store's write lock -> 503" "$STATUS" 503
  expect_eq "$s: ... with Retry-After" "$(header Retry-After)" 1
  est GET /.well-known/est/cacerts
  expect_eq "$s: ... while reads go on -> 200" "$STATUS" 200
  echo 'ROLLBACK;' >&7; exec 7>&-; wait "$lockpid"; rm -f "$lockfifo"
  post /.well-known/est/simpleenroll "$WORK/lk.csr" boot boot
  expect_eq "$s: ... and 200 once the lock is released" "$STATUS" 200
  nginx_stop
}

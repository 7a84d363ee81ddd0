# Scale-out on PostgreSQL (sourced): a throwaway cluster (scripts/pg-cluster), the suite's
# store copied into it, two "hosts" (an `estfcgi serve` behind a private nginx each, on
# loopback ports) on that one database; concurrent enrollments through both, then serial
# uniqueness, counts and cross-host revocation; `store copy` round trips.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PG_DIR=

postgres_stop() {
  local i
  for i in 1 2; do
    local dir=$WORK/pghost$i
    [ -f "$dir/nginx.pid" ] && nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s stop 2>/dev/null
    local pid_var=PG_ESTFCGI_PID$i
    local pid=${!pid_var:-}
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
    eval "PG_ESTFCGI_PID$i="
  done
  if [ -n "$PG_DIR" ]; then "$ROOT/scripts/pg-cluster" stop "$PG_DIR" >/dev/null 2>&1; PG_DIR=; fi
}

# pg_host N: responder N (2 workers) and its nginx, both on fresh loopback ports.
pg_host() {
  local n=$1 dir=$WORK/pghost$1 port fcgi
  mkdir -p "$dir/tmp"
  port=$(free_port); fcgi=$(free_port)
  render_nginx_conf "$port" "$fcgi" "$dir/estfcgi.conf"
  { nginx_http_head "$dir"; echo "    include $dir/estfcgi.conf;"; echo "}"; } > "$dir/nginx.conf"
  ESTFCGI_DB=$PG_URI "$ESTFCGI" serve --listen "127.0.0.1:$fcgi" --workers 2 --read-timeout 3 2> "$dir/estfcgi.log" &
  eval "PG_ESTFCGI_PID$n=$!"
  eval "PG_PORT$n=$port"
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" && wait_port "$fcgi" && wait_port "$port"
}

pg_sql() { psql "$1" -XAtq -c "$2"; }

# the fingerprints of every certificate and CA, and each table's row count, in one text
store_digest() {  # store_digest FILE|URI
  local q="SELECT 'cert', id, fingerprint, status FROM certificates UNION ALL SELECT 'ca', id, fingerprint, status FROM cas ORDER BY 1, 2"
  local t counts=""
  for t in cas profiles profile_trust profile_cacerts devices certificates enrollment_requests crls bootstrap_denials audit; do
    counts="$counts $t="
    case $1 in
      postgres*) counts="$counts$(pg_sql "$1" "SELECT count(*) FROM $t")" ;;
      *) counts="$counts$(sqlite3 "$1" "SELECT count(*) FROM $t")" ;;
    esac
  done
  echo "$counts"
  case $1 in
    postgres*) pg_sql "$1" "$q" | tr '|' ' ' ;;
    *) sqlite3 -separator ' ' "$1" "$q" ;;
  esac
}

suite_postgres() {
  SUITE=postgres
  local pg_dir
  pg_dir=$(mktemp -d /tmp/estfcgi-it-pg.XXXXXX)
  if ! PG_URI=$("$ROOT/scripts/pg-cluster" start "$pg_dir" 2> "$WORK/pg-cluster.err"); then
    not_ok "postgres: throwaway cluster starts ($(head -3 "$WORK/pg-cluster.err"))"; rm -rf "$pg_dir"; return
  fi
  PG_DIR=$pg_dir
  ok "postgres: throwaway cluster starts"
  "$ROOT/scripts/pg-cluster" createdb "$PG_DIR" roundtrip

  # The URI must not carry a password (ps shows it to every user).
  local out rc=0
  out=$("$ESTFCGI" init --db "postgresql://estfcgi:secret@localhost/estfcgi" 2>&1) || rc=$?
  expect_eq "postgres: a URI with a password is refused" "$rc" 1
  expect_contains "postgres: ... pointing at .pgpass" "$out" ".pgpass"

  # SQLite -> PostgreSQL -> SQLite: the same certificates (fingerprints) and counts.
  local rt=$PG_URI; rt=${rt/\/estfcgi\?/\/roundtrip?}
  check "postgres: store copy SQLite -> PostgreSQL" "$ESTFCGI" store copy --from "$ESTFCGI_DB" --to "$rt"
  check "postgres: store copy PostgreSQL -> SQLite" "$ESTFCGI" store copy --from "$rt" --to "$WORK/roundtrip.db"
  expect_eq "postgres: round trip keeps every certificate and count" "$(store_digest "$WORK/roundtrip.db")" "$(store_digest "$ESTFCGI_DB")"
  expect_eq "postgres: ... and PostgreSQL held the same" "$(store_digest "$rt")" "$(store_digest "$ESTFCGI_DB")"
  rc=0; out=$("$ESTFCGI" store copy --from "$ESTFCGI_DB" --to "$rt" 2>&1) || rc=$?
  expect_contains "postgres: store copy refuses a non-empty target" "$rc:$out" "1:estfcgi: error: $rt is not empty"

  # The shared store: the suite's store, copied in.
  check "postgres: store copy into the shared database" "$ESTFCGI" store copy --from "$ESTFCGI_DB" --to "$PG_URI"
  out=$(ESTFCGI_DB=$PG_URI "$ESTFCGI" doctor 2>&1); rc=$?
  expect_eq "postgres: doctor passes on the PostgreSQL store" "$rc" 0
  expect_contains "postgres: ... checking schema version and foreign keys" "$out" "foreign keys consistent"

  if ! pg_host 1 || ! pg_host 2; then not_ok "postgres: two hosts start"; postgres_stop; return; fi
  ok "postgres: two hosts (responder + nginx each) start on one database"

  # 20 enrollments through each host at once.
  local before i h pids=(); before=$(pg_sql "$PG_URI" "SELECT count(*) FROM certificates")
  mkcsr pg-dev ec-P-256 "/CN=pg-dev/O=Example Devices"
  : > "$WORK/pg.codes"
  for i in $(seq 20); do
    for h in $PG_PORT1 $PG_PORT2; do
      curl -sS --max-time 30 -o /dev/null -w '%{http_code}\n' --cacert "$WORK/tls-ca.pem" --cert "$WORK/boot.pem" \
        --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/pg-dev.csr" \
        "https://127.0.0.1:$h/.well-known/est/simpleenroll" >> "$WORK/pg.codes" &
      pids+=($!)
    done
  done
  wait "${pids[@]}"
  expect_eq "postgres: 40 concurrent enrollments through two hosts all answered 200" "$(sort "$WORK/pg.codes" | uniq -c | tr -s ' ')" " 40 200"
  expect_eq "postgres: ... all 40 recorded" "$(pg_sql "$PG_URI" "SELECT count(*) FROM certificates")" $((before + 40))
  expect_eq "postgres: ... each host served some" \
    "$(grep -c 'op=simpleenroll .*status=200' "$WORK/pghost1/estfcgi.log" | awk '{print ($1 > 0)}')$(grep -c 'op=simpleenroll .*status=200' "$WORK/pghost2/estfcgi.log" | awk '{print ($1 > 0)}')" 11
  expect_eq "postgres: serials unique per issuer" \
    "$(pg_sql "$PG_URI" "SELECT count(*) - count(DISTINCT (issuer_ca_id, serial)) FROM certificates")" 0
  expect_eq "postgres: one audit row per issuance" \
    "$(pg_sql "$PG_URI" "SELECT count(*) FROM audit WHERE operation = 'simpleenroll' AND status = 200 AND serial IS NOT NULL AND time >= (SELECT min(issued_at) FROM certificates WHERE subject LIKE '%CN=pg-dev%')")" 40

  # Cross-host revocation: enrolled through host 1, renewed through host 2 (its cache warm),
  # revoked by the CLI: host 2 refuses the very next re-enrollment, and so does host 1.
  BASE=https://127.0.0.1:$PG_PORT1
  mkcsr pg-rev ec-P-256 "/CN=pg-rev/O=Example Devices"
  post /.well-known/est/simpleenroll "$WORK/pg-rev.csr" boot boot
  expect_eq "postgres: enroll through host 1" "$STATUS" 200
  base64 -d "$WORK/resp.body" | openssl pkcs7 -inform DER -print_certs -out "$WORK/pg-rev.pem"
  cp "$WORK/pg-rev.key" "$WORK/pg-rev-tls.key"
  BASE=https://127.0.0.1:$PG_PORT2
  mkcsr pg-rev2 ec-P-256 "/CN=pg-rev/O=Example Devices"
  post /.well-known/est/simplereenroll "$WORK/pg-rev2.csr" pg-rev pg-rev-tls
  expect_eq "postgres: re-enroll through host 2" "$STATUS" 200
  local serial; serial=$(openssl x509 -in "$WORK/pg-rev.pem" -noout -serial | cut -d= -f2)
  # OCSP (issue 23): host 2 answers good (its signed response cached), then revoked at once.
  ESTFCGI_DB=$PG_URI "$ESTFCGI" ca export --name issuing | openssl x509 -out "$WORK/pg-issuing.pem"
  ESTFCGI_DB=$PG_URI "$ESTFCGI" ca export --name root > "$WORK/pg-root.pem"
  pg_ocsp() {
    openssl ocsp -url "https://127.0.0.1:$PG_PORT2/ocsp" -issuer "$WORK/pg-issuing.pem" -cert "$WORK/pg-rev.pem" -no_nonce \
      -CAfile "$WORK/pg-root.pem" 2>&1
  }
  expect_contains "postgres: OCSP through host 2 -> good" "$(pg_ocsp)" "pg-rev.pem: good"
  check "postgres: cert revoke through the CLI" env ESTFCGI_DB="$PG_URI" "$ESTFCGI" cert revoke "$serial" --reason keyCompromise
  expect_contains "postgres: ... revoked in host 2's very next OCSP answer" "$(pg_ocsp)" "pg-rev.pem: revoked"
  post /.well-known/est/simplereenroll "$WORK/pg-rev2.csr" pg-rev pg-rev-tls
  expect_eq "postgres: host 2 refuses the revoked certificate on the very next request" "$STATUS" 403
  expect_contains "postgres: ... as revoked" "$(cat "$WORK/resp.body")" "revoked"
  BASE=https://127.0.0.1:$PG_PORT1
  post /.well-known/est/simplereenroll "$WORK/pg-rev2.csr" pg-rev pg-rev-tls
  expect_eq "postgres: ... and so does host 1" "$STATUS" 403

  # The database drops every responder connection (a restart, a failover): at most one 503
  # per worker, then each reconnects by itself.
  pg_sql "$PG_URI" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'estfcgi'" >/dev/null
  local codes=""
  for i in $(seq 8); do est GET /.well-known/est/cacerts; codes="$codes $STATUS"; done
  expect_eq "postgres: after the server dropped the connections, only 503s then 200s (got$codes)" \
    "$(printf '%s\n' $codes | grep -cvE '^(200|503)$')" 0
  expect_eq "postgres: ... and the responders reconnect" "$(printf '%s\n' $codes | tail -3 | tr -d '\n')" 200200200

  # The database stopped: 40 simpleenrolls with made-up labels and a self-made certificate
  # are each 503 with Retry-After, and none names a metric series (a label counts only once
  # a profile proved it).
  BASE=https://127.0.0.1:$PG_PORT1
  est GET /.well-known/est/.metrics
  local series_before labels="" retries="" series_after
  series_before=$(grep -c '^estfcgi_requests_total{' "$WORK/resp.body")
  "$ROOT/scripts/pg-cluster" pause "$PG_DIR"
  codes=""
  for i in $(seq 40); do
    local label; label="x$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    labels="$labels $label"
    post "/.well-known/est/$label/simpleenroll" "$WORK/pg-dev.csr" rogue rogue
    codes="$codes $STATUS"; retries="$retries$(header Retry-After)"
  done
  expect_eq "postgres: database stopped: 40 enrollments with made-up labels -> all 503" \
    "$(printf '%s\n' $codes | sort | uniq -c | tr -s ' ')" " 40 503"
  expect_eq "postgres: ... each with Retry-After" "$retries" "$(printf '1%.0s' $(seq 40))"
  est GET /.well-known/est/.metrics
  series_after=$(grep -c '^estfcgi_requests_total{' "$WORK/resp.body")
  expect_eq "postgres: ... no made-up label in the metrics" \
    "$(for label in $labels; do grep -c "profile=\"$label\"" "$WORK/resp.body"; done | sort -u | tr -d '\n')" 0
  check "postgres: ... at most one new series (got $series_before -> $series_after)" test $((series_after - series_before)) -le 1
  expect_contains "postgres: ... they are counted under no profile" "$(cat "$WORK/resp.body")" \
    'estfcgi_requests_total{operation="simpleenroll",profile="",status="503"} '
  "$ROOT/scripts/pg-cluster" resume "$PG_DIR"
  codes=""
  for i in $(seq 4); do est GET /.well-known/est/cacerts; codes="$codes $STATUS"; done
  expect_eq "postgres: database started again: the responder reconnects (got$codes)" "$(printf '%s\n' $codes | tail -1)" 200

  # What the two hosts wrote comes back out whole.
  check "postgres: store copy PostgreSQL -> SQLite after serving" "$ESTFCGI" store copy --from "$PG_URI" --to "$WORK/from-pg.db"
  expect_eq "postgres: ... identical certificates and counts" "$(store_digest "$WORK/from-pg.db")" "$(store_digest "$PG_URI")"

  for i in 1 2; do
    local pid_var=PG_ESTFCGI_PID$i; local pid=${!pid_var}
    kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?
    expect_eq "postgres: host $i responder exits 0 on SIGTERM" "$rc" 0
    eval "PG_ESTFCGI_PID$i="
  done
  postgres_stop
}

# nginx front: renders the shipped nginx/estfcgi.conf onto loopback ports, starts
# `estfcgi serve` and a private nginx, runs the shared device scenarios (sourced).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# render_nginx_conf PORT FCGI_PORT OUT: the shipped server block with test paths.
render_nginx_conf() {
  sed -e "s#listen 443 ssl;#listen 127.0.0.1:$1 ssl;#" \
      -e "s#/etc/estfcgi/tls/server.pem#$WORK/server.pem#" \
      -e "s#/etc/estfcgi/tls/server.key#$WORK/server.key#" \
      -e "s#unix:/run/estfcgi/estfcgi.sock#127.0.0.1:$2#" \
      -e "s#include fastcgi_params;#include /etc/nginx/fastcgi_params;#" \
      "$ROOT/nginx/estfcgi.conf" > "$3"
}

nginx_start() {
  local dir=$WORK/nginx
  mkdir -p "$dir/tmp"
  NGINX_PORT=$(free_port); PIN_PORT=$(free_port); FCGI_PORT=$(free_port)
  render_nginx_conf "$NGINX_PORT" "$FCGI_PORT" "$dir/estfcgi.conf"
  # The shipped HTTP-authentication location, for the policy suite's labels byod (--auth
  # http) and byod2 (--auth cert+http), inside the shipped server block.
  local label
  for label in byod byod2; do
    sed -e '/^#/d' -e "s#/etc/estfcgi/htpasswd#$WORK/htpasswd#" -e "s#/.well-known/est/byod/#/.well-known/est/$label/#" \
        -e "s#unix:/run/estfcgi/estfcgi.sock#127.0.0.1:$FCGI_PORT#" \
        -e "s#include fastcgi_params;#include /etc/nginx/fastcgi_params;#" "$ROOT/nginx/estfcgi-http-auth.conf"
  done > "$dir/http-auth.conf"
  sed -i "s#^}\$#    include $dir/http-auth.conf;\n}#" "$dir/estfcgi.conf"
  { nginx_http_head "$dir"; cat <<CONF
    include $dir/estfcgi.conf;
    # A front for one device population: every request is pinned to profile iot.
    server {
        listen 127.0.0.1:$PIN_PORT ssl;
        ssl_certificate $WORK/server.pem;
        ssl_certificate_key $WORK/server.key;
        ssl_verify_client optional_no_ca;
        location /.well-known/est/ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SSL_CLIENT_CERT \$ssl_client_escaped_cert;
            fastcgi_param ESTFCGI_PROFILE iot;
            fastcgi_pass 127.0.0.1:$FCGI_PORT;
        }
    }
}
CONF
  } > "$dir/nginx.conf"
  "$ESTFCGI" serve --listen "127.0.0.1:$FCGI_PORT" --workers 2 --read-timeout 3 --log-to-webserver 2> "$dir/estfcgi.log" &
  ESTFCGI_PID=$!
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  wait_port "$FCGI_PORT" && wait_port "$NGINX_PORT"
}

nginx_stop() {
  local dir=$WORK/nginx
  [ -f "$dir/nginx.pid" ] && nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s stop 2>/dev/null
  if [ -n "${ESTFCGI_PID:-}" ] && kill -0 "$ESTFCGI_PID" 2>/dev/null; then
    kill -TERM "$ESTFCGI_PID"; wait "$ESTFCGI_PID" 2>/dev/null || true
  fi
}

# Strict DER readers take every PKCS#7 answer: /cacerts with three certificates configured in
# descending DER order, an enrollment answer and serverkeygen's certificate part (X.690 §11.6).
nginx_der_order() {
  local it=$ROOT/Tests/integration order
  order=$(for n in root issuing factory; do
    printf '%s %s\n' "$("$ESTFCGI" ca export --name "$n" | openssl x509 -outform DER | od -An -tx1 | tr -d ' \n')" "$n"
  done | LC_ALL=C sort -r | cut -d' ' -f2 | paste -sd,)
  "$ESTFCGI" profile create --profile der3 --issuer issuing --trust factory --cacerts "$order" >/dev/null
  est GET /.well-known/est/der3/cacerts
  expect_eq "nginx: /cacerts of 3 CAs given out of DER order -> 200" "$STATUS" 200
  expect_eq "nginx: ... read as DER by Python's cryptography, warnings as errors" \
    "$(python3 -W error "$it/p7_strict.py" "$WORK/resp.body" 2>&1 | tail -1)" 3
  est GET /.well-known/est/cacerts
  expect_eq "nginx: default /cacerts read as DER by Python's cryptography" "$(python3 -W error "$it/p7_strict.py" "$WORK/resp.body" 2>&1 | tail -1)" 2
  mkcsr der-enroll ec-P-256 "/CN=der-enroll/O=Example Devices"
  post /.well-known/est/simpleenroll "$WORK/der-enroll.csr" boot boot
  expect_eq "nginx: an enrollment answer read as DER by Python's cryptography" \
    "$STATUS $(python3 -W error "$it/p7_strict.py" "$WORK/resp.body" 2>&1 | tail -1)" "200 1"
  mkcsr der-skg ec-P-256 "/CN=der-skg/O=Example Devices"
  post /.well-known/est/keygen-ec/serverkeygen "$WORK/der-skg.csr" boot boot
  skg_split der-skg
  expect_eq "nginx: serverkeygen's certificate part read as DER by Python's cryptography" \
    "$STATUS $(python3 -W error "$it/p7_strict.py" "$WORK/der-skg-2.der" 2>&1 | tail -1)" "200 1"
}

# RFC 7030 §4.2.2 with names compared as RFC 5280 §7.1 does: `openssl req` writes UTF8String
# (string_mask utf8only), Go's x509 PrintableString; the renewal keeps the old bytes.
nginx_reenroll_string_types() {
  local it=$ROOT/Tests/integration cnf=$WORK/printable.cnf old new
  printf '[req]\ndistinguished_name=dn\nstring_mask=default\n[dn]\n' > "$cnf"
  status_or_reason() { if [ "$STATUS" = 200 ]; then echo 200; else echo "$STATUS $(head -c 200 "$WORK/resp.body")"; fi; }
  names() { echo "$(openssl x509 -in "$1" -noout -subject -nameopt RFC2253,show_type) $(python3 "$it/name_bytes.py" "$1")"; }
  mkcsr names-utf8 ec-P-256 "/CN=names-utf8/O=Example Devices" "DNS:names-utf8.example"
  post /.well-known/est/simpleenroll "$WORK/names-utf8.csr" boot boot
  p7certs "$WORK/resp.body" "$WORK/names-utf8.pem"
  expect_contains "nginx: enrolled with a UTF8String subject" "$(names "$WORK/names-utf8.pem")" "CN=UTF8STRING:names-utf8"
  old=$(names "$WORK/names-utf8.pem")
  openssl req -new -config "$cnf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=names-utf8/O=Example Devices" \
    -addext "subjectAltName=DNS:names-utf8.example" -keyout "$WORK/names-p.key" -out "$WORK/names-p.csr" 2>/dev/null
  expect_contains "nginx: the renewal CSR's subject is PrintableString" \
    "$(openssl req -in "$WORK/names-p.csr" -noout -subject -nameopt RFC2253,show_type)" "CN=PRINTABLESTRING:names-utf8"
  post /.well-known/est/simplereenroll "$WORK/names-p.csr" names-utf8 names-utf8
  expect_eq "nginx: re-enroll with the same subject as PrintableString -> 200" "$(status_or_reason)" 200
  p7certs "$WORK/resp.body" "$WORK/names-p.pem"
  new=$(names "$WORK/names-p.pem")
  expect_eq "nginx: ... the renewal has the old subject and SAN DER bytes" "$new" "$old"
  # ... and with ASCII case and spacing changed, the host name shouted.
  openssl req -new -config "$cnf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=names-utf8/O=EXAMPLE  devices" \
    -addext "subjectAltName=DNS:NAMES-UTF8.Example" -keyout "$WORK/names-c.key" -out "$WORK/names-c.csr" 2>/dev/null
  post /.well-known/est/simplereenroll "$WORK/names-c.csr" names-utf8 names-utf8
  expect_eq "nginx: re-enroll with case and spacing changed -> 200" "$(status_or_reason)" 200
  p7certs "$WORK/resp.body" "$WORK/names-c.pem"
  expect_eq "nginx: ... again with the old subject and SAN DER bytes" "$(names "$WORK/names-c.pem")" "$old"

  # Vice versa: enrolled PrintableString (as Go's x509 writes), renewed from `openssl req`.
  openssl req -new -config "$cnf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=names-go/O=Example Devices" \
    -keyout "$WORK/names-go.key" -out "$WORK/names-go.csr" 2>/dev/null
  post /.well-known/est/simpleenroll "$WORK/names-go.csr" boot boot
  p7certs "$WORK/resp.body" "$WORK/names-go.pem"
  old=$(names "$WORK/names-go.pem")
  mkcsr names-go-2 ec-P-256 "/CN=names-go/O=Example Devices"
  post /.well-known/est/simplereenroll "$WORK/names-go-2.csr" names-go names-go
  expect_eq "nginx: PrintableString certificate renewed from a UTF8String CSR -> 200" "$(status_or_reason)" 200
  p7certs "$WORK/resp.body" "$WORK/names-go-2.pem"
  expect_eq "nginx: ... with the old subject bytes (PrintableString)" "$(names "$WORK/names-go-2.pem")" "$old"
  expect_contains "nginx: ... which are PrintableString" "$old" "CN=PRINTABLESTRING:names-go"

  mkcsr names-other ec-P-256 "/CN=names-gone/O=Example Devices"
  post /.well-known/est/simplereenroll "$WORK/names-other.csr" names-go names-go
  expect_eq "nginx: another CN is still refused -> 400" "$STATUS" 400
}

suite_nginx() {
  SUITE=nginx
  if ! nginx_start; then not_ok "nginx: front and responder start"; nginx_stop; return; fi
  ok "nginx: front and responder start"
  BASE=https://127.0.0.1:$NGINX_PORT
  local audited_before; audited_before=$(sqlite3 "$ESTFCGI_DB" 'SELECT count(*) FROM audit WHERE status IS NOT NULL')
  run_scenarios
  nginx_der_order
  nginx_reenroll_string_types

  # A pinned location: the URL needs no label, and no other label is reachable through it.
  BASE=https://127.0.0.1:$PIN_PORT
  est GET /.well-known/est/cacerts
  p7certs "$WORK/resp.body" "$WORK/pinned-cacerts.pem"
  expect_eq "nginx: pinned profile serves its cacerts without a label" "$(grep -c 'BEGIN CERTIFICATE' "$WORK/pinned-cacerts.pem")" 2
  est GET /.well-known/est/strict/cacerts
  expect_eq "nginx: pinned profile refuses another label -> 404" "$STATUS" 404
  mkcsr dev-pin rsa:2048 "/CN=dev-pin"
  post /.well-known/est/simpleenroll "$WORK/dev-pin.csr" boot boot
  expect_eq "nginx: pinned profile applies its policy (iot is EC-only) -> 400" "$STATUS" 400

  expect_contains "nginx: log line names op, profile, client, status and reason" "$(cat "$WORK/nginx/estfcgi.log")" \
    'op=simpleenroll profile=iot client="O=Example Devices,CN=boot-0001" status=400 reason="RSA 2048 key not allowed'
  sleep 0.3  # the last refusals' audit rows join the responder's next commit
  expect_eq "nginx: one 'audit=recorded' log line per audit row of an EST request" \
    "$(grep -c ' op=.* audit=recorded$' "$WORK/nginx/estfcgi.log")" \
    "$(($(sqlite3 "$ESTFCGI_DB" 'SELECT count(*) FROM audit WHERE status IS NOT NULL') - audited_before))"
  check "nginx: requests refused before a policy decision are logged too" grep -q ' op=simpleenroll .*status=415 reason=' "$WORK/nginx/estfcgi.log"

  # Metrics: the shipped location turns them on (for 127.0.0.1); elsewhere they do not exist.
  BASE=https://127.0.0.1:$NGINX_PORT
  est GET /.well-known/est/.metrics
  expect_eq "nginx: metrics through the shipped location -> 200" "$STATUS" 200
  expect_eq "nginx: ... in the Prometheus text format" "$(header Content-Type)" "text/plain; version=0.0.4; charset=utf-8"
  local metrics; metrics=$(cat "$WORK/resp.body")
  expect_eq "nginx: metrics count the default profile's enrollments as the log does" \
    "$(printf '%s\n' "$metrics" | sed -n 's/^estfcgi_requests_total{operation="simpleenroll",profile="(default)",status="200"} //p')" \
    "$(grep -c ' op=simpleenroll profile=- .* status=200 ' "$WORK/nginx/estfcgi.log")"
  expect_contains "nginx: metrics count refusals by kind" "$metrics" 'estfcgi_refusals_total{reason="unsupported_media_type"} '
  expect_contains "nginx: metrics have a latency histogram" "$metrics" 'estfcgi_request_duration_seconds_bucket{operation="simpleenroll",le="+Inf"} '
  check "nginx: an unknown label never becomes a series" bash -c "! grep -q 'nosuchlabel' '$WORK/resp.body'"
  BASE=https://127.0.0.1:$PIN_PORT
  est GET /.well-known/est/.metrics -H 'ESTFCGI-METRICS: on' -H 'ESTFCGI_METRICS: on'
  expect_eq "nginx: metrics where the location does not turn them on -> 404, whatever the client sends" "$STATUS" 404

  # 24 enrollments at once across the responder's worker threads: all answered, all recorded.
  BASE=https://127.0.0.1:$NGINX_PORT
  mkcsr dev-par ec-P-256 "/CN=dev-par/O=Example Devices"
  local before_par i pids=(); before_par=$(issued_count)
  for i in $(seq 24); do
    curl -sS --max-time 30 -o /dev/null -w '%{http_code}\n' --cacert "$WORK/tls-ca.pem" --cert "$WORK/boot.pem" \
      --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/dev-par.csr" \
      "$BASE/.well-known/est/simpleenroll" >> "$WORK/par.codes" &
    pids+=($!)
  done
  wait "${pids[@]}"  # not a bare wait: the responder is a child too
  expect_eq "nginx: 24 concurrent enrollments all answered 200" "$(sort "$WORK/par.codes" | uniq -c | tr -s ' ')" " 24 200"
  expect_eq "nginx: ... and all 24 recorded" "$(issued_count)" $((before_par + 24))

  expect_contains "nginx: --log-to-webserver puts the log line in nginx's error log" \
    "$(grep 'FastCGI sent in stderr' "$WORK/nginx/error.log" | tail -1)" 'op=simpleenroll profile=- client="O=Example Devices,CN=boot-0001" status=200'

  # While the responder holds the store open, SQLite's side files exist: private too.
  expect_eq "nginx: store -wal and -shm files are 0600 while serving" \
    "$(stat -c %a "$ESTFCGI_DB-wal" "$ESTFCGI_DB-shm" 2>&1 | tr '\n' ' ')" "600 600 "

  # SIGTERM: in-flight work finishes, exit status 0.
  kill -TERM "$ESTFCGI_PID"
  local rc=0; wait "$ESTFCGI_PID" || rc=$?
  expect_eq "nginx: responder exits 0 on SIGTERM" "$rc" 0
  ESTFCGI_PID=
  nginx_stop
}

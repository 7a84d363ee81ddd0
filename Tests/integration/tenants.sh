# Two tenants side by side (sourced): the shipped systemd template units
# (systemd/estfcgi@.socket + estfcgi@.service) rendered into a temporary root, each
# tenant's `estfcgi serve` socket-activated by systemd-socket-activate as the unit would
# start it (its own uid, store, passphrase file and socket), and the shipped
# nginx/estfcgi-tenants.conf and apache/estfcgi-tenants.conf in front of both.
# Tenant A's store is a copy of the suite's PKI; tenant B's is its own, with other CA
# names and keys.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Unprivileged ids standing in for the system users estfcgi-tenant-a and -b (no passwd
# entries are made on the test machine; setpriv switches to the numbers).
TENANT_UID_a=60901
TENANT_UID_b=60902

# tenants_unit_value FILE KEY: the value of the first KEY= line of a unit file.
tenants_unit_value() { sed -n "s/^$2=//p" "$1" | head -1; }
# tenants_path TENANT VALUE: a unit's path for instance tenant-TENANT, under the test root.
tenants_path() { printf '%s%s' "$TENANTS_ROOT" "${2//%i/tenant-$1}"; }
# tenants_as T CMD...: CMD as tenant T's user, with its store and passphrase file.
tenants_as() {
  local t=$1 uid; shift; eval "uid=\$TENANT_UID_$t"
  setpriv --reuid "$uid" --regid "$uid" --clear-groups -- \
    env ESTFCGI_DB="$(tenants_db "$t")" ESTFCGI_KEY_PASSPHRASE_FILE="$(tenants_passphrase "$t")" "$@"
}
tenants_env() { sed -n "s/^Environment=$2=//p" "$ROOT/systemd/estfcgi@.service"; }
tenants_db() { tenants_path "$1" "$(tenants_env "$1" ESTFCGI_DB)"; }
tenants_passphrase() { tenants_path "$1" "$(tenants_env "$1" ESTFCGI_KEY_PASSPHRASE_FILE)"; }
tenants_socket() { tenants_path "$1" "$(tenants_unit_value "$ROOT/systemd/estfcgi@.socket" ListenStream)"; }
tenants_not() { ! "$@"; }
# tenants_sql T SQL: a query on tenant T's store, as its user.
tenants_sql() { tenants_as "$1" sqlite3 "$(tenants_db "$1")" "$2"; }

# tenants_start_one T: what systemd does for estfcgi@tenant-T.socket and its service: a socket
# at the unit's ListenStream= with its SocketGroup= and SocketMode=, and on the first
# connection the unit's ExecStart (binary replaced by the one under test) with its
# Environment=, UMask= and User=, the listener on fd 3.
tenants_start_one() {
  local t=$1 uid sock unit=$ROOT/systemd/estfcgi@.service socket_unit=$ROOT/systemd/estfcgi@.socket
  eval "uid=\$TENANT_UID_$t"
  sock=$(tenants_socket "$t")
  local exec; exec=$(tenants_unit_value "$unit" ExecStart)
  exec=${exec/\/usr\/local\/bin\/estfcgi/$ESTFCGI}
  systemd-socket-activate -l "$sock" -E ESTFCGI_DB="$(tenants_db "$t")" \
    -E ESTFCGI_KEY_PASSPHRASE_FILE="$(tenants_passphrase "$t")" \
    /bin/sh -c "umask $(tenants_unit_value "$unit" UMask); exec setpriv --reuid $uid --regid $uid --clear-groups -- $exec" \
    2> "$TENANTS_ROOT/tenant-$t.log" &
  eval "TENANT_PID_$t=\$!"
  local i; for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
  chgrp "$(tenants_unit_value "$socket_unit" SocketGroup)" "$sock" && chmod "$(tenants_unit_value "$socket_unit" SocketMode)" "$sock"
}

# tenants_stop_one T: SIGTERM, as systemctl stop; the exit status in TENANT_RC.
tenants_stop_one() {
  local t=$1 pid; eval "pid=\${TENANT_PID_$t:-}"
  TENANT_RC=none
  [ -n "$pid" ] || return 0
  TENANT_RC=0
  kill -TERM "$pid" 2>/dev/null; wait "$pid" || TENANT_RC=$?
  eval "TENANT_PID_$t="
}

# tenants_tls_name NAME: the web server's certificate for host NAME, from the suite's TLS CA.
tenants_tls_name() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$TENANTS_ROOT/tls/$1.key" -out "$TENANTS_ROOT/tls/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$1" > "$TENANTS_ROOT/tls/$1.ext"
  openssl x509 -req -in "$TENANTS_ROOT/tls/$1.csr" -CA "$WORK/tls-ca.pem" -CAkey "$WORK/tls-ca.key" -CAcreateserial \
    -days 30 -extfile "$TENANTS_ROOT/tls/$1.ext" -out "$TENANTS_ROOT/tls/$1.pem" 2>/dev/null
}

# Tenant B: a PKI of its own, built with the CLI like scripts/demo-pki.sh, other names and keys.
tenants_b_pki() {
  local e=$ESTFCGI
  ESTFCGI_DB=$(tenants_db b) ESTFCGI_KEY_PASSPHRASE_FILE=$(tenants_passphrase b) bash -ec "
    umask 077
    head -c 24 /dev/urandom | base64 > \"\$ESTFCGI_KEY_PASSPHRASE_FILE\"
    $e init
    $e ca create --name b-root --subject 'CN=Tenant B Root,O=Tenant B' --key ec-p256 --days 3650
    $e ca create --name b-factory --subject 'CN=Tenant B Factory CA,O=Tenant B Devices' --key rsa-2048 --days 3650
    $e profile create --profile factory --issuer b-factory --validity-days 3650
    $e profile create --default --issuer b-root --trust b-factory
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=boot-b-0001/O=Tenant B Devices' \
      -keyout '$WORK/boot-b.key' -out '$WORK/boot-b.csr' 2>/dev/null
    $e cert issue --profile factory --csr '$WORK/boot-b.csr' > '$WORK/boot-b.pem'
  " >/dev/null
}

tenants_setup() {
  TENANTS_ROOT=$(mktemp -d /tmp/estfcgi-tenants.XXXXXX)
  chmod 755 "$TENANTS_ROOT"  # as / is: the web server reaches run/estfcgi, each tenant its own dirs
  mkdir -p "$TENANTS_ROOT/tls" "$TENANTS_ROOT/run/estfcgi" "$TENANTS_ROOT/units"
  local t dir
  for t in a b; do
    for dir in "$(dirname "$(tenants_db $t)")" "$(dirname "$(tenants_passphrase $t)")"; do mkdir -p "$dir"; chmod 700 "$dir"; done
  done
  # A: the suite's store, copied consistently while nothing else uses it.
  sqlite3 "$ESTFCGI_DB" ".backup '$(tenants_db a)'" && cp "$ESTFCGI_KEY_PASSPHRASE_FILE" "$(tenants_passphrase a)" || return 1
  tenants_b_pki || return 1
  for t in a b; do
    local uid; eval "uid=\$TENANT_UID_$t"
    chown -R "$uid:$uid" "$(dirname "$(tenants_db $t)")" "$(dirname "$(tenants_passphrase $t)")"
    chmod 600 "$(tenants_db $t)" "$(tenants_passphrase $t)"
  done
  tenants_tls_name est-a.example.com; tenants_tls_name est-b.example.com
}

# tenants_post HOST PORT PATH CSR CERT: an enrollment at a tenant by host name (SNI and Host);
# sets STATUS, the body in $WORK/resp.body.
tenants_post() {
  STATUS=$(curl -sS --max-time 20 -o "$WORK/resp.body" -w '%{http_code}' --cacert "$WORK/tls-ca.pem" \
    --resolve "$1:$2:127.0.0.1" --cert "$WORK/$5.pem" --key "$WORK/$5.key" \
    -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/$4.csr" "https://$1:$2$3" 2>"$WORK/curl.err") \
    || STATUS="curl-failed:$(cat "$WORK/curl.err")"
}
# tenants_issuer_of FILE: the issuer of the certificate in an enroll answer.
tenants_issuer_of() { p7certs "$WORK/resp.body" "$WORK/$1.pem" && openssl x509 -in "$WORK/$1.pem" -noout -issuer; }
tenants_serial_of() { openssl x509 -in "$WORK/$1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//'; }

tenants_nginx_start() {
  local dir=$TENANTS_ROOT/nginx
  mkdir -p "$dir/tmp"
  TENANTS_NGINX_PORT=$(free_port)
  sed -e "s#listen 443 ssl;#listen 127.0.0.1:$TENANTS_NGINX_PORT ssl;#" \
      -e "s#/etc/estfcgi/tls/#$TENANTS_ROOT/tls/#" \
      -e "s#unix:/run/estfcgi/#unix:$TENANTS_ROOT/run/estfcgi/#" \
      -e "s#include fastcgi_params;#include /etc/nginx/fastcgi_params;#" \
      "$ROOT/nginx/estfcgi-tenants.conf" > "$dir/estfcgi-tenants.conf"
  # Workers as www-data, as Debian's nginx: the sockets are root:www-data 0660.
  { echo "user www-data;"; nginx_http_head "$dir"; echo "    include $dir/estfcgi-tenants.conf;"; echo "}"; } > "$dir/nginx.conf"
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" && wait_port "$TENANTS_NGINX_PORT"
}

tenants_apache_start() {
  local dir=$TENANTS_ROOT/apache
  mkdir -p "$dir"
  TENANTS_APACHE_PORT=$(free_port)
  sed -e "s#<VirtualHost \*:443>#<VirtualHost 127.0.0.1:$TENANTS_APACHE_PORT>#" \
      -e "s#/etc/estfcgi/tls/#$TENANTS_ROOT/tls/#" \
      -e "s#unix:/run/estfcgi/#unix:$TENANTS_ROOT/run/estfcgi/#" \
      "$ROOT/apache/estfcgi-tenants.conf" > "$dir/estfcgi-tenants.conf"
  { httpd_conf_head "$dir" proxy proxy_fcgi
    printf 'Listen 127.0.0.1:%s\nInclude %s/estfcgi-tenants.conf\n' "$TENANTS_APACHE_PORT" "$dir"; } > "$dir/httpd.conf"
  apache2 -f "$dir/httpd.conf" -k start && wait_port "$TENANTS_APACHE_PORT"
}

tenants_stop() {
  [ -n "${TENANTS_ROOT:-}" ] || return 0
  [ -f "$TENANTS_ROOT/nginx/nginx.pid" ] && nginx -p "$TENANTS_ROOT/nginx" -c "$TENANTS_ROOT/nginx/nginx.conf" -e "$TENANTS_ROOT/nginx/error.log" -s stop 2>/dev/null
  if [ -f "$TENANTS_ROOT/apache/httpd.pid" ]; then
    apache2 -f "$TENANTS_ROOT/apache/httpd.conf" -k stop 2>/dev/null
    local i; for i in $(seq 50); do [ -f "$TENANTS_ROOT/apache/httpd.pid" ] || break; sleep 0.1; done
  fi
  tenants_stop_one a; tenants_stop_one b
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$TENANTS_ROOT"
  TENANTS_ROOT=
}

# The shipped units as systemd reads them: `systemd-analyze verify` (offline) on copies
# whose ExecStart names the binary under test, which must exist; warnings fail too.
tenants_units() {
  local f name out rc=0
  for f in "$ROOT"/systemd/*.service "$ROOT"/systemd/*.socket "$ROOT"/systemd/*.timer "$ROOT/nginx/estfcgi.service"; do
    name=$(basename "$f")
    case $name in estfcgi-crl@*) name=${name/@/@issuing} ;; *@*) name=${name/@/@tenant-a} ;; esac
    sed -e "s#/usr/local/bin/estfcgi#$ESTFCGI#g" "$f" > "$TENANTS_ROOT/units/$name"
  done
  out=$(cd "$TENANTS_ROOT/units" && systemd-analyze verify --man=no ./* 2>&1) || rc=$?
  expect_eq "tenants: systemd-analyze verify on the shipped units: no error, no warning" "$rc:$out" "0:"
  # A hardening directive dropped from the service shows in its exposure score (0.8 when
  # written; 10 = none): at most 2.0.
  check "tenants: estfcgi@.service exposure (systemd-analyze security) at most 2.0" \
    systemd-analyze security --offline=yes --threshold=20 "$TENANTS_ROOT/units/estfcgi@tenant-a.service"
  expect_eq "tenants: the socket is root:www-data 0660 at /run/estfcgi/%i.sock" \
    "$(tenants_unit_value "$ROOT/systemd/estfcgi@.socket" ListenStream) $(tenants_unit_value "$ROOT/systemd/estfcgi@.socket" SocketGroup) $(tenants_unit_value "$ROOT/systemd/estfcgi@.socket" SocketMode)" \
    "/run/estfcgi/%i.sock www-data 0660"
  expect_eq "tenants: the service writes its own store directory only" \
    "$(grep -E '^(ReadWritePaths|ProtectSystem|User)=' "$ROOT/systemd/estfcgi@.service" | sort | tr '\n' ' ')" \
    "ProtectSystem=strict ReadWritePaths=/var/lib/estfcgi/%i User=estfcgi-%i "
}

# Socket activation refusals, with a throw-away socket each: serve exits 1 with the reason.
tenants_activation_refusals() {
  local log=$TENANTS_ROOT/refusal.log rc
  systemd-socket-activate -l "$TENANTS_ROOT/two-1.sock" -l "$TENANTS_ROOT/two-2.sock" -E ESTFCGI_DB="$ESTFCGI_DB" \
    -E ESTFCGI_KEY_PASSPHRASE_FILE="$ESTFCGI_KEY_PASSPHRASE_FILE" "$ESTFCGI" serve 2> "$log" & local pid=$!
  local i; for i in $(seq 100); do [ -S "$TENANTS_ROOT/two-1.sock" ] && break; sleep 0.05; done
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$TENANTS_ROOT/two-1.sock" 2>/dev/null
  rc=0; wait "$pid" || rc=$?
  expect_eq "tenants: two passed sockets (LISTEN_FDS=2) -> serve refuses, exit 1" "$rc" 1
  expect_contains "tenants: ... saying why" "$(cat "$log")" "estfcgi: error: systemd passed 2 sockets (LISTEN_FDS=2); estfcgi serve takes exactly one"

  # LISTEN_PID names the shell, not serve (a forked child): the variables are not for it,
  # and without them serve has no listener.
  systemd-socket-activate -l "$TENANTS_ROOT/other.sock" -E ESTFCGI_DB="$ESTFCGI_DB" \
    -E ESTFCGI_KEY_PASSPHRASE_FILE="$ESTFCGI_KEY_PASSPHRASE_FILE" /bin/sh -c "$ESTFCGI serve < /dev/null; exit \$?" 2> "$log" & pid=$!
  for i in $(seq 100); do [ -S "$TENANTS_ROOT/other.sock" ] && break; sleep 0.05; done
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$TENANTS_ROOT/other.sock" 2>/dev/null
  rc=0; wait "$pid" || rc=$?
  expect_eq "tenants: LISTEN_PID of another process -> not taken, exit 1" "$rc" 1
  expect_contains "tenants: ... no listen socket" "$(cat "$log")" "estfcgi: error: no listen socket"
}

suite_tenants() {
  if ! tenants_setup; then not_ok "tenants: two stores and their instance layout"; tenants_stop; return; fi
  ok "tenants: two stores and their instance layout"
  tenants_units
  tenants_activation_refusals

  tenants_start_one a; tenants_start_one b
  check "tenants: A's socket is root:www-data 0660 (as SocketGroup=, SocketMode=)" \
    test "$(stat -c '%U:%G %a' "$(tenants_socket a)")" = "root:www-data 660"
  if ! tenants_nginx_start; then not_ok "tenants: nginx with the shipped tenants example starts"; tail -5 "$TENANTS_ROOT/nginx/error.log"; tenants_stop; return; fi
  ok "tenants: nginx with the shipped tenants example starts"

  local a_certs b_certs a_audit b_audit
  a_certs=$(tenants_sql a 'SELECT count(*) FROM certificates'); b_certs=$(tenants_sql b 'SELECT count(*) FROM certificates')
  a_audit=$(tenants_sql a 'SELECT max(id) FROM audit'); b_audit=$(tenants_sql b 'SELECT max(id) FROM audit')

  local port=$TENANTS_NGINX_PORT
  mkcsr dev-ta ec-P-256 "/CN=dev-ta/O=Example Devices"
  tenants_post est-a.example.com "$port" /.well-known/est/simpleenroll dev-ta boot
  expect_eq "tenants: A's device enrolls at A (first connection starts A's responder) -> 200" "$STATUS" 200
  expect_contains "tenants: ... certificate from A's issuing CA" "$(tenants_issuer_of dev-ta)" "CN = estfcgi Demo Issuing CA"
  expect_eq "tenants: A's responder runs as A's user" "$(stat -c %u "/proc/$TENANT_PID_a")" "$TENANT_UID_a"
  expect_contains "tenants: ... socket-activated (started by the first connection)" "$(cat "$TENANTS_ROOT/tenant-a.log")" "estfcgi: serving with 8 worker(s)"

  mkcsr dev-ta2 ec-P-256 "/CN=dev-ta2/O=Example Devices"
  tenants_post est-b.example.com "$port" /.well-known/est/simpleenroll dev-ta2 boot
  expect_eq "tenants: A's device cannot enroll at B (B does not trust A's bootstrap CA) -> 403" "$STATUS" 403
  expect_contains "tenants: ... refused by B's responder" "$(cat "$TENANTS_ROOT/tenant-b.log")" 'op=simpleenroll profile=- client="O=Example Devices,CN=boot-0001" status=403'
  mkcsr dev-ta-re ec-P-256 "/CN=dev-ta/O=Example Devices"
  tenants_post est-b.example.com "$port" /.well-known/est/simplereenroll dev-ta-re dev-ta
  expect_eq "tenants: A's certificate cannot re-enroll at B -> 403" "$STATUS" 403

  mkcsr dev-tb ec-P-256 "/CN=dev-tb/O=Tenant B Devices"
  tenants_post est-b.example.com "$port" /.well-known/est/simpleenroll dev-tb boot-b
  expect_eq "tenants: B's device enrolls at B -> 200" "$STATUS" 200
  expect_contains "tenants: ... certificate from B's root" "$(tenants_issuer_of dev-tb)" "CN = Tenant B Root"
  mkcsr dev-tb2 ec-P-256 "/CN=dev-tb2/O=Tenant B Devices"
  tenants_post est-a.example.com "$port" /.well-known/est/simpleenroll dev-tb2 boot-b
  expect_eq "tenants: B's device cannot enroll at A -> 403" "$STATUS" 403

  # The same through Apache's shipped tenants example (its own backend per socket).
  if tenants_apache_start; then
    ok "tenants: Apache with the shipped tenants example starts"
    port=$TENANTS_APACHE_PORT
    mkcsr dev-ta-ap ec-P-256 "/CN=dev-ta-ap/O=Example Devices"
    tenants_post est-a.example.com "$port" /.well-known/est/simpleenroll dev-ta-ap boot
    expect_eq "tenants: apache: A's device enrolls at A -> 200" "$STATUS" 200
    tenants_post est-b.example.com "$port" /.well-known/est/simpleenroll dev-ta2 boot
    expect_eq "tenants: apache: A's device cannot enroll at B -> 403" "$STATUS" 403
    mkcsr dev-tb-ap ec-P-256 "/CN=dev-tb-ap/O=Tenant B Devices"
    tenants_post est-b.example.com "$port" /.well-known/est/simpleenroll dev-tb-ap boot-b
    expect_eq "tenants: apache: B's device enrolls at B, right after A's requests -> 200" "$STATUS" 200
    expect_contains "tenants: apache: ... certificate from B's root" "$(tenants_issuer_of dev-tb-ap)" "CN = Tenant B Root"
  else
    not_ok "tenants: Apache with the shipped tenants example starts"; tail -5 "$TENANTS_ROOT/apache/error.log"
  fi

  # Each store holds its own certificates and audit rows, and nothing of the other's.
  sleep 0.3  # a refusal's audit row joins the responder's next commit
  expect_eq "tenants: A's store got exactly A's certificates" \
    "$(tenants_sql a "SELECT group_concat(subject, ' | ') FROM (SELECT subject FROM certificates ORDER BY id LIMIT -1 OFFSET $a_certs)")" \
    "O=Example Devices,CN=dev-ta | O=Example Devices,CN=dev-ta-ap"
  expect_eq "tenants: B's store got exactly B's certificates" \
    "$(tenants_sql b "SELECT group_concat(subject, ' | ') FROM (SELECT subject FROM certificates ORDER BY id LIMIT -1 OFFSET $b_certs)")" \
    "O=Tenant B Devices,CN=dev-tb | O=Tenant B Devices,CN=dev-tb-ap"
  expect_eq "tenants: A's audit rows are A's issuances only" \
    "$(tenants_sql a "SELECT group_concat(operation || ' ' || status || ' ' || client, ' | ') FROM audit WHERE id > $a_audit")" \
    "simpleenroll 200 O=Example Devices,CN=boot-0001 | simpleenroll 200 O=Example Devices,CN=boot-0001"
  expect_eq "tenants: B's audit rows are B's issuances only" \
    "$(tenants_sql b "SELECT group_concat(operation || ' ' || status || ' ' || client, ' | ') FROM audit WHERE id > $b_audit")" \
    "simpleenroll 200 O=Tenant B Devices,CN=boot-b-0001 | simpleenroll 200 O=Tenant B Devices,CN=boot-b-0001"
  expect_eq "tenants: A's certificate is unknown to B's store" \
    "$(tenants_sql b "SELECT count(*) FROM certificates WHERE serial = '$(tenants_serial_of dev-ta)'")" 0

  # Separate users: B's user cannot open A's store or read A's passphrase.
  check "tenants: A's user can open A's store (the control)" tenants_as a "$ESTFCGI" cert list --db "$(tenants_db a)"
  check "tenants: B's user cannot open A's store" tenants_not tenants_as b "$ESTFCGI" cert list --db "$(tenants_db a)"
  check "tenants: B's user cannot read A's passphrase file" tenants_not tenants_as b cat "$(tenants_passphrase a)"
  expect_eq "tenants: A's store files (and SQLite's side files) are A's, 0600" \
    "$(stat -c '%u %a' "$(tenants_db a)" "$(tenants_db a)-wal" "$(tenants_db a)-shm" 2>&1 | sort -u)" "$TENANT_UID_a 600"

  tenants_stop_one a; expect_eq "tenants: A's responder exits 0 on SIGTERM" "$TENANT_RC" 0
  tenants_stop_one b; expect_eq "tenants: B's responder exits 0 on SIGTERM" "$TENANT_RC" 0
  tenants_stop
}

# Classic CGI: estfcgi started once per request, by Apache's mod_cgid (the shipped
# apache/estfcgi-cgi.conf) and by fcgiwrap behind nginx (nginx/estfcgi-fcgiwrap.conf), both
# rendered onto loopback ports and put through the shared device scenarios; then what is
# particular to CGI: the binary run by hand, a missing store, bodies without Content-Length,
# concurrent processes on one store (sourced; needs lib.sh, scenarios.sh, apache.sh).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The binary the configs run, with symlinks resolved (.build/debug is one).
cgi_binary() { readlink -f "$ESTFCGI"; }

# render_cgi_store FILE DB: a rendered config's store, key file and passphrase paths; without
# a key file (CGI_KEY_FILE unset: outside the cgi suite's key-file part) its line goes.
render_cgi_store() {
  # The shipped configs name the key file and leave the passphrase line commented out.
  local keyfile=("-e" "/\/etc\/estfcgi\/key-file/d" "-e" "s/# *\(\(SetEnv\|fastcgi_param\) ESTFCGI_KEY_PASSPHRASE_FILE\)/\1/")
  [ -n "${CGI_KEY_FILE:-}" ] && keyfile=("-e" "s#/etc/estfcgi/key-file#$CGI_KEY_FILE#")
  sed -i -e "s#/usr/lib/cgi-bin/estfcgi#$(cgi_binary)#" -e "s#/var/lib/estfcgi/ca.db#$2#" \
         -e "s#/etc/estfcgi/key-passphrase#$ESTFCGI_KEY_PASSPHRASE_FILE#" "${keyfile[@]}" "$1"
}

# The CGI runs as the web server's user (Apache's User, fcgiwrap's): it owns the store (and
# its directory, for -wal and -shm) and reads the passphrase and key file, as with mod_fcgid.
cgi_store_to_www_data() {
  chown www-data:www-data "$WORK" "$ESTFCGI_DB" "$ESTFCGI_KEY_PASSPHRASE_FILE"
  # The key file as a deployment keeps it: root's, read by the web server's group (root runs
  # the CLI here; a key file owned by another user is refused).
  if [ -n "${CGI_KEY_FILE:-}" ]; then chown root:www-data "$CGI_KEY_FILE"; chmod 640 "$CGI_KEY_FILE"; fi
  chown www-data:www-data "$ESTFCGI_DB"-* 2>/dev/null || true
}

cgi_apache_start() {
  local dir=$WORK/apache-cgi
  mkdir -p "$dir"
  CGI_APACHE_PORT=$(free_port); CGI_APACHE_NOSTORE_PORT=$(free_port)
  cgi_store_to_www_data
  render_apache_conf estfcgi-cgi.conf "$CGI_APACHE_PORT" "" "$dir/cgi.conf"
  render_cgi_store "$dir/cgi.conf" "$ESTFCGI_DB"
  # The same configuration with a store that does not exist.
  render_apache_conf estfcgi-cgi.conf "$CGI_APACHE_NOSTORE_PORT" "" "$dir/nostore.conf"
  render_cgi_store "$dir/nostore.conf" "$WORK/no-such-store.db"
  { httpd_conf_head "$dir" env cgid
    cat <<CONF
ScriptSock $dir/cgisock
Listen 127.0.0.1:$CGI_APACHE_PORT
Listen 127.0.0.1:$CGI_APACHE_NOSTORE_PORT
Include $dir/cgi.conf
Include $dir/nostore.conf
CONF
  } > "$dir/httpd.conf"
  apache2 -f "$dir/httpd.conf" -k start || return 1
  wait_port "$CGI_APACHE_PORT" && wait_port "$CGI_APACHE_NOSTORE_PORT"
}

cgi_apache_stop() {
  local dir=$WORK/apache-cgi
  [ -f "$dir/httpd.pid" ] && apache2 -f "$dir/httpd.conf" -k stop 2>/dev/null
  local i; for i in $(seq 50); do [ -f "$dir/httpd.pid" ] || break; sleep 0.1; done
}

cgi_nginx_start() {
  local dir=$WORK/nginx-cgi
  mkdir -p "$dir/tmp"
  CGI_NGINX_PORT=$(free_port); CGI_NGINX_NOSTORE_PORT=$(free_port); FCGIWRAP_PORT=$(free_port)
  cgi_store_to_www_data
  local port conf
  for port in "$CGI_NGINX_PORT" "$CGI_NGINX_NOSTORE_PORT"; do
    conf=$dir/estfcgi-$port.conf
    sed -e "s#listen 443 ssl;#listen 127.0.0.1:$port ssl;#" \
        -e "s#/etc/estfcgi/tls/server.pem#$WORK/server.pem#" \
        -e "s#/etc/estfcgi/tls/server.key#$WORK/server.key#" \
        -e "s#unix:/run/fcgiwrap.socket#127.0.0.1:$FCGIWRAP_PORT#" \
        -e "s#include fastcgi_params;#include /etc/nginx/fastcgi_params;#" \
        "$ROOT/nginx/estfcgi-fcgiwrap.conf" > "$conf"
  done
  render_cgi_store "$dir/estfcgi-$CGI_NGINX_PORT.conf" "$ESTFCGI_DB"
  render_cgi_store "$dir/estfcgi-$CGI_NGINX_NOSTORE_PORT.conf" "$WORK/no-such-store.db"
  # Workers as www-data, as Debian runs them: a chunked body is spooled to a file under $WORK.
  { echo "user www-data www-data;"; nginx_http_head "$dir"; cat <<CONF
    include $dir/estfcgi-$CGI_NGINX_PORT.conf;
    include $dir/estfcgi-$CGI_NGINX_NOSTORE_PORT.conf;
}
CONF
  } > "$dir/nginx.conf"
  # fcgiwrap as Debian's unit runs it (www-data, -f: the CGI's stderr into nginx's error
  # log), on a loopback port, in a session of its own so that its children stop with it.
  setsid setpriv --reuid=www-data --regid=www-data --clear-groups \
    fcgiwrap -f -c 2 -s "tcp:127.0.0.1:$FCGIWRAP_PORT" 2> "$dir/fcgiwrap.log" &
  FCGIWRAP_PID=$!
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  wait_port "$FCGIWRAP_PORT" && wait_port "$CGI_NGINX_PORT"
}

cgi_nginx_stop() {
  local dir=$WORK/nginx-cgi
  [ -f "$dir/nginx.pid" ] && nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s stop 2>/dev/null
  if [ -n "${FCGIWRAP_PID:-}" ] && kill -0 "$FCGIWRAP_PID" 2>/dev/null; then
    kill -TERM -- "-$FCGIWRAP_PID" 2>/dev/null; wait "$FCGIWRAP_PID" 2>/dev/null || true
  fi
  FCGIWRAP_PID=
}

# cgi_by_hand NAME VAR=VALUE...: runs the binary as a web server would start a CGI program,
# stdin from $WORK/cgi-in; stdout in $WORK/cgi-out, stderr in $WORK/cgi-err.
cgi_by_hand() {
  env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 SCRIPT_NAME=/.well-known/est "$@" \
    "$ESTFCGI" < "$WORK/cgi-in" > "$WORK/cgi-out" 2> "$WORK/cgi-err"
}
# cgi_split: $WORK/cgi-out into cgi-head (CRLF stripped) and cgi-body.
cgi_split() {
  python3 - "$WORK/cgi-out" "$WORK/cgi-head" "$WORK/cgi-body" <<'PY'
import sys
raw = open(sys.argv[1], 'rb').read()
head, _, body = raw.partition(b'\r\n\r\n')
open(sys.argv[2], 'wb').write(head.replace(b'\r\n', b'\n') + b'\n')
open(sys.argv[3], 'wb').write(body)
PY
}

cgi_by_hand_checks() {
  : > "$WORK/cgi-in"
  cgi_by_hand REQUEST_METHOD=GET PATH_INFO=/cacerts ESTFCGI_DB="$ESTFCGI_DB"
  cgi_split
  expect_eq "cgi by hand: cacerts -> Status: 200 first" "$(head -1 "$WORK/cgi-head")" "Status: 200 OK"
  expect_eq "cgi by hand: Content-Length is the body's" "$(sed -n 's/^Content-Length: //p' "$WORK/cgi-head")" \
    "$(stat -c %s "$WORK/cgi-body")"
  p7certs "$WORK/cgi-body" "$WORK/cgi-cacerts.pem"
  expect_eq "cgi by hand: the body is the CA certificates" "$(grep -c 'BEGIN CERTIFICATE' "$WORK/cgi-cacerts.pem")" 2
  expect_contains "cgi by hand: the log line on stderr" "$(cat "$WORK/cgi-err")" 'op=cacerts profile=- client="-" status=200'

  # An enrollment: body on stdin, client certificate as Apache exports it (PEM).
  mkcsr cgi-hand ec-P-256 "/CN=cgi-hand/O=Example Devices"
  cp "$WORK/cgi-hand.der" "$WORK/cgi-in"
  local before; before=$(issued_count)
  cgi_by_hand REQUEST_METHOD=POST PATH_INFO=/simpleenroll CONTENT_TYPE=application/pkcs10 \
    CONTENT_LENGTH="$(stat -c %s "$WORK/cgi-in")" SSL_CLIENT_CERT="$(cat "$WORK/boot.pem")" \
    ESTFCGI_DB="$ESTFCGI_DB" ESTFCGI_KEY_PASSPHRASE_FILE="$ESTFCGI_KEY_PASSPHRASE_FILE"
  cgi_split
  expect_eq "cgi by hand: simpleenroll from stdin -> 200" "$(head -1 "$WORK/cgi-head")" "Status: 200 OK"
  p7certs "$WORK/cgi-body" "$WORK/cgi-hand.pem"
  expect_contains "cgi by hand: ... the certificate asked for" "$(openssl x509 -in "$WORK/cgi-hand.pem" -noout -subject 2>&1)" "CN = cgi-hand"
  expect_eq "cgi by hand: ... recorded before the process exited" "$(issued_count)" $((before + 1))

  # A missing store: 500 with a one-line body; the reason only on stderr (the error log).
  : > "$WORK/cgi-in"
  cgi_by_hand REQUEST_METHOD=GET PATH_INFO=/cacerts ESTFCGI_DB="$WORK/no-such-store.db"
  cgi_split
  expect_eq "cgi by hand: a missing store -> 500, one line 'internal error'" \
    "$(head -1 "$WORK/cgi-head") / $(cat "$WORK/cgi-body")" "Status: 500 Internal Server Error / internal error"
  expect_contains "cgi by hand: ... the reason on stderr" "$(cat "$WORK/cgi-err")" "cannot open the CA store: no store at $WORK/no-such-store.db"
  cgi_by_hand REQUEST_METHOD=GET PATH_INFO=/cacerts
  expect_eq "cgi by hand: no ESTFCGI_DB -> 500" "$(head -1 "$WORK/cgi-out" | tr -d '\r')" "Status: 500 Internal Server Error"
  expect_contains "cgi by hand: ... naming the variable on stderr" "$(cat "$WORK/cgi-err")" "ESTFCGI_DB is not set"
  check "cgi by hand: never usage on stdout" bash -c "! grep -q USAGE '$WORK/cgi-out'"

  # Outside CGI the command is unchanged: usage without arguments, and a subcommand run
  # from a CGI script's environment is a subcommand.
  expect_contains "estfcgi without arguments outside CGI prints usage" "$("$ESTFCGI" 2>&1)" "USAGE: estfcgi <subcommand>"
  expect_contains "a subcommand run inside a CGI environment stays a subcommand" \
    "$(GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET "$ESTFCGI" ca list < /dev/null 2>&1)" "estfcgi Demo Issuing CA"
}

# cgi_specific LABEL NOSTORE_BASE ERRORLOG: what CGI changes, through a web server.
cgi_specific() {
  local label=$1 nostore=$2 errorlog=$3 saved=$BASE
  # Chunked uploads: no CONTENT_LENGTH at all through mod_cgid (nginx buffers and counts):
  # read to EOF, with the same cap.
  mkcsr "chunked-$label" ec-P-256 "/CN=chunked-$label/O=Example Devices"
  est POST /.well-known/est/simpleenroll --cert "$WORK/boot.pem" --key "$WORK/boot.key" -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/chunked-$label.csr"
  expect_eq "$label: a chunked enrollment -> 200" "$STATUS" 200
  head -c 70000 /dev/zero | tr '\0' 'A' > "$WORK/big"
  est POST /.well-known/est/simpleenroll --cert "$WORK/boot.pem" --key "$WORK/boot.key" -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/big"
  expect_eq "$label: a chunked body over 64 KiB -> 413" "$STATUS" 413

  # A query without '=' is an ISINDEX search: Apache passes its words as arguments.
  est GET '/.well-known/est/cacerts?search+words'
  expect_eq "$label: a query without '=' (ISINDEX arguments) is still a CGI request" "$STATUS" 200

  # A store another process holds locked (sqlite3 in exclusive locking mode, as the CGI's
  # user): opening it waits out the busy timeout (10 s) and is 503 with Retry-After, not 500.
  local lockfifo=$WORK/lock-$label.fifo lockpid
  mkfifo "$lockfifo"; chmod 666 "$lockfifo"
  runuser -u www-data -- sqlite3 "$ESTFCGI_DB" < "$lockfifo" > "$WORK/lock-$label.out" 2>&1 & lockpid=$!
  exec 7> "$lockfifo"
  echo 'PRAGMA busy_timeout=10000; PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; SELECT count(*) FROM cas;' >&7
  # Until the lock is held (a loaded machine may take more than a moment to start sqlite3).
  local i; for i in $(seq 100); do sqlite3 -cmd '.timeout 0' "$ESTFCGI_DB" 'SELECT count(*) FROM cas' >/dev/null 2>&1 || break; sleep 0.1; done
  est GET /.well-known/est/cacerts
  expect_eq "$label: a store locked by another process -> 503" "$STATUS" 503
  expect_eq "$label: ... with Retry-After" "$(header Retry-After)" 1
  exec 7>&-; wait "$lockpid"; rm -f "$lockfifo"
  est GET /.well-known/est/cacerts
  expect_eq "$label: ... and 200 once it is released" "$STATUS" 200

  BASE=$nostore
  est GET /.well-known/est/cacerts
  expect_eq "$label: a missing store -> 500 with one line 'internal error'" "$STATUS $(cat "$WORK/resp.body")" "500 internal error"
  mkcsr "nostore-$label" ec-P-256 "/CN=nostore-$label"
  post /.well-known/est/simpleenroll "$WORK/nostore-$label.csr" boot boot
  expect_eq "$label: ... for an enrollment too" "$STATUS $(cat "$WORK/resp.body")" "500 internal error"
  sleep 0.2
  expect_contains "$label: ... the reason in the web server's error log" "$(cat "$errorlog")" \
    "cannot open the CA store: no store at $WORK/no-such-store.db"
  BASE=$saved
  expect_contains "$label: the request's log line in the web server's error log" "$(cat "$errorlog")" \
    'op=simpleenroll profile=- client="O=Example Devices,CN=boot-0001" status=200'
}

suite_cgi() {
  cgi_by_hand_checks
  # From here the demo store's CA keys are sealed under a key file, as the shipped configs
  # expect (they name both files); moved back to the passphrase at the end.
  cgi_key_file_checks

  SUITE=apache-cgid
  if ! cgi_apache_start; then
    not_ok "apache-cgid: front starts"; tail -5 "$WORK/apache-cgi/error.log"; cgi_apache_stop
  else
    ok "apache-cgid: front starts"
    BASE=https://127.0.0.1:$CGI_APACHE_PORT
    # A client trickling its body, while the scenarios run: cut off by RequestReadTimeout or
    # the responder's 10 s deadline, long before its 500 bytes.
    /usr/bin/python3 "$HERE/https_trickle.py" 127.0.0.1 "$CGI_APACHE_PORT" /.well-known/est/simpleenroll \
      --duration 40 --cert "$WORK/boot.pem" --key "$WORK/boot.key" > "$WORK/apache-cgi/trickle" &
    local trickler=$!
    run_scenarios
    cgi_specific apache-cgid "https://127.0.0.1:$CGI_APACHE_NOSTORE_PORT" "$WORK/apache-cgi/error.log"

    # Eight enrollments at once: eight processes on one store, serialised by SQLite's lock.
    mkcsr cgi-par ec-P-256 "/CN=cgi-par/O=Example Devices"
    local before i pids=(); before=$(issued_count)
    : > "$WORK/cgi-par.codes"
    for i in $(seq 8); do
      curl -sS --max-time 30 -o /dev/null -w '%{http_code}\n' --cacert "$WORK/tls-ca.pem" --cert "$WORK/boot.pem" \
        --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/cgi-par.csr" \
        "$BASE/.well-known/est/simpleenroll" >> "$WORK/cgi-par.codes" &
      pids+=($!)
    done
    wait "${pids[@]}"
    expect_eq "apache-cgid: 8 concurrent enrollments (8 processes, one store) all 200" \
      "$(sort "$WORK/cgi-par.codes" | uniq -c | tr -s ' ')" " 8 200"
    expect_eq "apache-cgid: ... and all 8 recorded" "$(issued_count)" $((before + 8))

    wait "$trickler"
    check "apache-cgid: a trickled body is cut off well before its 500 bytes" \
      bash -c "read -r status secs < '$WORK/apache-cgi/trickle'; [ \"\$status\" != 200 ] && [ \"\${secs%.*}\" -lt 35 ]"
    cgi_apache_stop
  fi

  SUITE=nginx-fcgiwrap
  if ! cgi_nginx_start; then
    not_ok "nginx-fcgiwrap: front and fcgiwrap start"; tail -5 "$WORK/nginx-cgi/error.log"; cgi_nginx_stop
  else
    ok "nginx-fcgiwrap: front and fcgiwrap start"
    BASE=https://127.0.0.1:$CGI_NGINX_PORT
    run_scenarios
    cgi_specific nginx-fcgiwrap "https://127.0.0.1:$CGI_NGINX_NOSTORE_PORT" "$WORK/nginx-cgi/error.log"
    cgi_nginx_stop
  fi
  chown -R root:root "$WORK" 2>/dev/null || true
  local out
  out=$("$ESTFCGI" ca rekey-protection --to passphrase --key-file "$CGI_KEY_FILE" 2>&1)
  expect_contains "cgi: the demo store's keys go back under the passphrase" "$out" "CA 'issuing': key now pbkdf2-sha256-600000"
  unset ESTFCGI_KEY_FILE CGI_KEY_FILE  # later suites (and their rendered configs) name no key file
}

# A key file made by init, the demo store's keys moved under it (rekey-protection), and
# enrollments by hand with the key file alone; its rules, through the CGI's 500.
cgi_key_file_checks() {
  CGI_KEY_FILE=$WORK/cgi-key-file
  local out rc
  out=$("$ESTFCGI" init --key-file "$CGI_KEY_FILE" --create-key-file 2>&1)
  expect_contains "cgi key file: init --create-key-file" "$out" "key file $CGI_KEY_FILE created (mode 600"
  out=$("$ESTFCGI" ca rekey-protection --to key-file --key-file "$CGI_KEY_FILE" 2>&1); rc=$?
  expect_contains "cgi key file: rekey-protection --to key-file on the demo store" "$rc $out" "CA 'issuing': key now hkdf-sha256-keyfile"
  export ESTFCGI_KEY_FILE=$CGI_KEY_FILE  # for the scenarios' own CLI calls

  mkcsr cgi-kf ec-P-256 "/CN=cgi-kf/O=Example Devices"
  cp "$WORK/cgi-kf.der" "$WORK/cgi-in"
  local before; before=$(issued_count)
  cgi_by_hand REQUEST_METHOD=POST PATH_INFO=/simpleenroll CONTENT_TYPE=application/pkcs10 \
    CONTENT_LENGTH="$(stat -c %s "$WORK/cgi-in")" SSL_CLIENT_CERT="$(cat "$WORK/boot.pem")" \
    ESTFCGI_DB="$ESTFCGI_DB" ESTFCGI_KEY_FILE="$CGI_KEY_FILE"
  cgi_split
  expect_eq "cgi key file: simpleenroll with the key file alone -> 200" "$(head -1 "$WORK/cgi-head")" "Status: 200 OK"
  p7certs "$WORK/cgi-body" "$WORK/cgi-kf.pem"
  expect_contains "cgi key file: ... the certificate asked for" "$(openssl x509 -in "$WORK/cgi-kf.pem" -noout -subject 2>&1)" "CN = cgi-kf"
  expect_eq "cgi key file: ... recorded" "$(issued_count)" $((before + 1))

  cgi_by_hand REQUEST_METHOD=POST PATH_INFO=/simpleenroll CONTENT_TYPE=application/pkcs10 \
    CONTENT_LENGTH="$(stat -c %s "$WORK/cgi-in")" SSL_CLIENT_CERT="$(cat "$WORK/boot.pem")" \
    ESTFCGI_DB="$ESTFCGI_DB" ESTFCGI_KEY_PASSPHRASE_FILE="$ESTFCGI_KEY_PASSPHRASE_FILE"
  expect_eq "cgi key file: the passphrase alone -> 500" "$(head -1 "$WORK/cgi-out" | tr -d '\r')" "Status: 500 Internal Server Error"
  expect_contains "cgi key file: ... the reason on stderr" "$(cat "$WORK/cgi-err")" \
    "the key of CA 'issuing' is sealed under a key file: use --key-file or ESTFCGI_KEY_FILE"

  chmod 644 "$CGI_KEY_FILE"
  cgi_by_hand REQUEST_METHOD=POST PATH_INFO=/simpleenroll CONTENT_TYPE=application/pkcs10 \
    CONTENT_LENGTH="$(stat -c %s "$WORK/cgi-in")" SSL_CLIENT_CERT="$(cat "$WORK/boot.pem")" \
    ESTFCGI_DB="$ESTFCGI_DB" ESTFCGI_KEY_FILE="$CGI_KEY_FILE"
  chmod 600 "$CGI_KEY_FILE"
  expect_eq "cgi key file: a key file of mode 644 -> 500" "$(head -1 "$WORK/cgi-out" | tr -d '\r')" "Status: 500 Internal Server Error"
  expect_contains "cgi key file: ... the reason on stderr" "$(cat "$WORK/cgi-err")" "key file $CGI_KEY_FILE is open to others (mode 644): chmod 600 it"
  expect_eq "cgi key file: ... nothing issued by the refused ones" "$(issued_count)" $((before + 1))

  # The process closes its store before it exits: as the last connection, SQLite checkpoints
  # and removes the WAL, which the next process would otherwise re-read whole (a copy of the
  # store that nothing else holds open).
  mkdir -p "$WORK/cgi-wal"
  sqlite3 "$ESTFCGI_DB" ".backup '$WORK/cgi-wal/ca.db'"; chmod 600 "$WORK/cgi-wal/ca.db"
  cp "$WORK/cgi-kf.der" "$WORK/cgi-in"
  cgi_by_hand REQUEST_METHOD=POST PATH_INFO=/simpleenroll CONTENT_TYPE=application/pkcs10 \
    CONTENT_LENGTH="$(stat -c %s "$WORK/cgi-in")" SSL_CLIENT_CERT="$(cat "$WORK/boot.pem")" \
    ESTFCGI_DB="$WORK/cgi-wal/ca.db" ESTFCGI_KEY_FILE="$CGI_KEY_FILE"
  expect_eq "cgi: an enrollment on a store nothing else holds -> 200" "$(head -1 "$WORK/cgi-out" | tr -d '\r')" "Status: 200 OK"
  expect_eq "cgi: ... its WAL checkpointed and removed at exit, the certificate in the file" \
    "$(ls "$WORK/cgi-wal" | tr '\n' ' ')$(sqlite3 "$WORK/cgi-wal/ca.db" "SELECT count(*) FROM certificates WHERE subject LIKE '%cgi-kf%'")" "ca.db 2"
}

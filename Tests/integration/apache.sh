# Apache front: renders the shipped apache/ configs (mod_proxy_fcgi and mod_fcgid) into a
# private Apache 2.4 on loopback ports and runs the same device scenarios (sourced).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# render_apache_conf FILE PORT BACKEND OUT: the shipped virtual host with test paths.
render_apache_conf() {
  sed -e "s#<VirtualHost \*:443>#<VirtualHost 127.0.0.1:$2>#" \
      -e "s#/etc/estfcgi/tls/server.pem#$WORK/server.pem#" \
      -e "s#/etc/estfcgi/tls/server.key#$WORK/server.key#" \
      -e "s#unix:/run/estfcgi/estfcgi.sock|#$3|#" \
      -e "s#/usr/local/lib/estfcgi/estfcgi-fcgid-wrapper#$WORK/apache/estfcgi-fcgid-wrapper#" \
      "$ROOT/apache/$1" > "$4"
}

apache_start() {
  local dir=$WORK/apache
  mkdir -p "$dir/fcgid"
  APACHE_PROXY_PORT=$(free_port); APACHE_FCGID_PORT=$(free_port)
  APACHE_SOCK=$dir/estfcgi.sock
  # mod_fcgid children run as www-data: they own the store (SQLite gives the -wal and
  # -shm files that root creates to the database's owner) and read the passphrase.
  chown www-data:www-data "$WORK" "$ESTFCGI_DB" "$ESTFCGI_KEY_PASSPHRASE_FILE" "$dir/fcgid"
  chown www-data:www-data "$ESTFCGI_DB"-* 2>/dev/null || true
  sed -e "s#/var/lib/estfcgi/ca.db#$ESTFCGI_DB#" -e "s#/etc/estfcgi/key-passphrase#$ESTFCGI_KEY_PASSPHRASE_FILE#" \
      -e "s#/usr/local/bin/estfcgi#$ESTFCGI#" "$ROOT/apache/estfcgi-fcgid-wrapper" > "$dir/estfcgi-fcgid-wrapper"
  chmod 755 "$dir/estfcgi-fcgid-wrapper"
  render_apache_conf estfcgi.conf "$APACHE_PROXY_PORT" "unix:$APACHE_SOCK" "$dir/proxy.conf"
  # The shipped HTTP-authentication Location (label byod) inside the shipped virtual host.
  sed -e "s#/etc/estfcgi/htpasswd#$WORK/htpasswd#" "$ROOT/apache/estfcgi-http-auth.conf" > "$dir/http-auth.conf"
  sed -i "s#^</VirtualHost>#Include $dir/http-auth.conf\n</VirtualHost>#" "$dir/proxy.conf"
  render_apache_conf estfcgi-fcgid.conf "$APACHE_FCGID_PORT" "" "$dir/fcgid.conf"
  { httpd_conf_head "$dir" proxy proxy_fcgi fcgid auth_basic authn_core authn_file authz_user authz_host env
    cat <<CONF
FcgidIPCDir $dir/fcgid
FcgidProcessTableFile $dir/fcgid/shm
Listen 127.0.0.1:$APACHE_PROXY_PORT
Listen 127.0.0.1:$APACHE_FCGID_PORT
Include $dir/proxy.conf
Include $dir/fcgid.conf
CONF
  } > "$dir/httpd.conf"
  # A socket left by an earlier start would pass the wait below and take the chgrp meant
  # for the new one (serve replaces it), leaving Apache unable to connect: 503 for all.
  rm -f "$APACHE_SOCK"
  "$ESTFCGI" serve --socket "$APACHE_SOCK" --socket-mode 660 --workers 2 2> "$dir/estfcgi.log" &
  APACHE_ESTFCGI_PID=$!
  local i; for i in $(seq 300); do [ -S "$APACHE_SOCK" ] && break; sleep 0.1; done
  chgrp www-data "$APACHE_SOCK"
  apache2 -f "$dir/httpd.conf" -k start || return 1
  wait_port "$APACHE_PROXY_PORT" && wait_port "$APACHE_FCGID_PORT"
}

apache_stop() {
  local dir=$WORK/apache
  [ -f "$dir/httpd.pid" ] && apache2 -f "$dir/httpd.conf" -k stop 2>/dev/null
  local i; for i in $(seq 50); do [ -f "$dir/httpd.pid" ] || break; sleep 0.1; done
  if [ -n "${APACHE_ESTFCGI_PID:-}" ] && kill -0 "$APACHE_ESTFCGI_PID" 2>/dev/null; then
    kill -TERM "$APACHE_ESTFCGI_PID"; wait "$APACHE_ESTFCGI_PID" 2>/dev/null || true
  fi
  APACHE_ESTFCGI_PID=
  chown -R root:root "$WORK" 2>/dev/null || true
}

suite_apache() {
  if ! apache_start; then not_ok "apache: front and responder start"; tail -5 "$WORK/apache/error.log"; apache_stop; return; fi
  ok "apache: front and responder start"
  SUITE=apache-proxy_fcgi
  BASE=https://127.0.0.1:$APACHE_PROXY_PORT
  run_scenarios

  # mod_proxy_fcgi streams bodies: two clients trickling one byte a second (one anonymous,
  # one with a bootstrap certificate) must not hold the responder's workers.
  local t1 t2 t0
  /usr/bin/python3 "$HERE/https_trickle.py" 127.0.0.1 "$APACHE_PROXY_PORT" /.well-known/est/simpleenroll \
    --duration 40 > "$WORK/apache/trickle-anon" & t1=$!
  /usr/bin/python3 "$HERE/https_trickle.py" 127.0.0.1 "$APACHE_PROXY_PORT" /.well-known/est/simpleenroll \
    --duration 40 --cert "$WORK/boot.pem" --key "$WORK/boot.key" > "$WORK/apache/trickle-boot" & t2=$!
  sleep 2
  t0=$SECONDS
  mkcsr dev-during-trickle ec-P-256 "/CN=dev-during-trickle"
  post /.well-known/est/simpleenroll "$WORK/dev-during-trickle.csr" boot boot
  expect_eq "apache-proxy_fcgi: an enrollment is served while two clients trickle bodies" "$STATUS" 200
  check "apache-proxy_fcgi: ... without waiting for them" test $((SECONDS - t0)) -le 8
  wait $t1 $t2
  expect_contains "apache-proxy_fcgi: the anonymous trickler is refused at once (401)" "$(cat "$WORK/apache/trickle-anon")" "401"
  check "apache-proxy_fcgi: the authenticated trickler is cut off well before its 500 bytes" \
    bash -c "read -r status secs < '$WORK/apache/trickle-boot'; [ \"\$status\" != 200 ] && [ \"\${secs%.*}\" -lt 35 ]"

  est GET /.well-known/est/.metrics
  expect_eq "apache-proxy_fcgi: metrics through the shipped Location -> 200" "$STATUS" 200
  expect_contains "apache-proxy_fcgi: ... counting what this responder answered" "$(cat "$WORK/resp.body")" \
    'estfcgi_requests_total{operation="cacerts",profile="(default)",status="200"} '
  BASE=https://127.0.0.1:$APACHE_FCGID_PORT
  est GET /.well-known/est/.metrics
  expect_eq "apache-fcgid: metrics where the vhost does not turn them on -> 404" "$STATUS" 404
  BASE=https://127.0.0.1:$APACHE_PROXY_PORT

  # The shipped HTTP-authentication Location: Apache checks the password, passes REMOTE_USER
  # and AUTH_TYPE.
  "$ESTFCGI" profile show --profile byod >/dev/null 2>&1 || policy_setup
  http_auth_checks apache-proxy_fcgi dev-pw3 pw-three-0004

  SUITE=apache-fcgid
  BASE=https://127.0.0.1:$APACHE_FCGID_PORT
  run_scenarios
  apache_stop
}

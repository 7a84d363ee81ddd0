# The external authorization hook (issue 25 item 1, sourced): a real Python receiver on
# loopback (plain HTTP, and HTTPS requiring a client certificate) and command hooks, behind
# the shipped nginx front with `estfcgi serve --workers 4` (so 3 hook calls at once), and
# in CGI mode by hand. Allow, deny with a reason, timeout, 500, garbage, a hook that hangs
# while other devices keep enrolling, the command hook (allow, deny, crash, timeout),
# audit records and metrics.

# hook_receiver_start NAME [CERT KEY CLIENT_CA]: a receiver; its port in HOOK_PORT_<NAME>.
hook_receiver_start() {
  local name=$1; shift
  rm -f "$HOOK_DIR/$name.port"
  python3 "$HERE/hook_receiver.py" "$HOOK_DIR/$name.port" "$HOOK_DIR/$name.log" "$@" 2> "$HOOK_DIR/$name.err" &
  HOOK_PIDS+=($!)
  local i; for i in $(seq 100); do [ -s "$HOOK_DIR/$name.port" ] && break; sleep 0.1; done
  printf -v "HOOK_PORT_$name" '%s' "$(cat "$HOOK_DIR/$name.port" 2>/dev/null)"
}

hook_front_start() {
  local dir=$HOOK_DIR/nginx
  mkdir -p "$dir/tmp"
  HOOK_NGINX_PORT=$(free_port); HOOK_FCGI_PORT=$(free_port)
  render_nginx_conf "$HOOK_NGINX_PORT" "$HOOK_FCGI_PORT" "$dir/estfcgi.conf"
  # The shipped HTTP-authentication location, for profile hook-http (--auth http).
  sed -e '/^#/d' -e "s#/etc/estfcgi/htpasswd#$HOOK_DIR/htpasswd#" -e "s#/.well-known/est/byod/#/.well-known/est/hook-http/#" \
      -e "s#unix:/run/estfcgi/estfcgi.sock#127.0.0.1:$HOOK_FCGI_PORT#" \
      -e "s#include fastcgi_params;#include /etc/nginx/fastcgi_params;#" "$ROOT/nginx/estfcgi-http-auth.conf" > "$dir/http-auth.conf"
  sed -i "s#^}\$#    include $dir/http-auth.conf;\n}#" "$dir/estfcgi.conf"
  { nginx_http_head "$dir"; echo "    include $dir/estfcgi.conf;"; echo "}"; } > "$dir/nginx.conf"
  "$ESTFCGI" serve --listen "127.0.0.1:$HOOK_FCGI_PORT" --workers 4 --read-timeout 5 2> "$dir/estfcgi.log" &
  HOOK_SERVE_PID=$!
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  wait_port "$HOOK_FCGI_PORT" && wait_port "$HOOK_NGINX_PORT"
}

hook_stop() {
  # Also run by run.sh's cleanup when this suite never started (set -u: nothing unset here).
  [ -n "${HOOK_DIR:-}" ] || return 0
  local dir=$HOOK_DIR/nginx
  [ -f "$dir/nginx.pid" ] && nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s stop 2>/dev/null
  if [ -n "${HOOK_SERVE_PID:-}" ] && kill -0 "$HOOK_SERVE_PID" 2>/dev/null; then
    kill -TERM "$HOOK_SERVE_PID"; wait "$HOOK_SERVE_PID" 2>/dev/null || true
  fi
  local p; for p in "${HOOK_PIDS[@]+"${HOOK_PIDS[@]}"}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  HOOK_PIDS=()
}

# hook_last NAME EXPR: a Python expression over the last line `e` of receiver NAME's log.
hook_last() {
  python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(eval(sys.argv[2]))' \
    "$HOOK_DIR/$1.log" "$2" 2>&1
}

# hook_reason: a denial's reason (stdin) without its frame.
hook_reason() { sed -e 's/^denied by the authorization hook: //' -e 's/ (request [0-9a-f]*)$//'; }

# hook_audit PROFILE: "status|reason" of PROFILE's newest audit record.
hook_audit() { sleep 0.3; sqlite3 "$ESTFCGI_DB" "SELECT status || '|' || reason FROM audit WHERE profile = '$1' ORDER BY id DESC LIMIT 1"; }

# hook_enroll PROFILE NAME (PROFILE '' for the default): a fresh CSR for device NAME posted to PROFILE with the boot certificate.
hook_enroll() {
  mkcsr "$2" ec-P-256 "/CN=$2/O=Example Devices" "DNS:$2.example"
  post "/.well-known/est/${1:+$1/}simpleenroll" "$WORK/$2.csr" boot boot
}

hook_setup() {
  local e=$ESTFCGI h=$HOOK_DIR
  # The HTTPS receiver's certificate and estfcgi's client certificate for it, from the test TLS CA.
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=hook.localhost' \
    -keyout "$h/hook-server.key" -out "$h/hook-server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$h/server.ext"
  openssl x509 -req -in "$h/hook-server.csr" -CA "$WORK/tls-ca.pem" -CAkey "$WORK/tls-ca.key" -CAcreateserial \
    -days 2 -extfile "$h/server.ext" -out "$h/hook-server.pem" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=estfcgi-hook-client' \
    -keyout "$h/hook-client.key" -out "$h/hook-client.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' > "$h/client.ext"
  openssl x509 -req -in "$h/hook-client.csr" -CA "$WORK/tls-ca.pem" -CAkey "$WORK/tls-ca.key" -CAcreateserial \
    -days 2 -extfile "$h/client.ext" -out "$h/hook-client.pem" 2>/dev/null

  # Command hooks: plain programs (here sh scripts), run without a shell of estfcgi's.
  printf '#!/bin/sh\ncat > %s/cmd-in.json\nenv > %s/cmd-env.txt\nfor f in /proc/$$/fd/*; do readlink "$f"; done > %s/cmd-fds.txt\nexit 0\n' "$h" "$h" "$h" > "$h/allow.sh"
  printf '#!/bin/sh\ncat > /dev/null\necho "serial not on the allow list"\necho "second line"\nexit 1\n' > "$h/deny.sh"
  printf '#!/bin/sh\nexit 3\n' > "$h/exit3.sh"
  printf '#!/bin/sh\nkill -SEGV $$\n' > "$h/segv.sh"
  # Hangs in a child of its own: the timeout kills the whole process group.
  printf '#!/bin/sh\nsleep 37.25 &\nwait\n' > "$h/sleep.sh"
  # Allows, and leaves a child behind: killed with the group once the hook has exited.
  printf '#!/bin/sh\ncat > /dev/null\nsleep 41.75 > /dev/null 2>&1 &\nexit 0\n' > "$h/leave.sh"
  chmod 755 "$h"/*.sh

  local u=http://127.0.0.1:$HOOK_PORT_plain t=https://127.0.0.1:$HOOK_PORT_tls p
  for p in allow deny deny-ctl deny-long 500 garbage allow-number redirect big allow-dup allow-dup-escaped allow-nested allow-utf16; do
    $e profile create --profile "hook-$p" --issuer issuing --trust factory --authorize-url "$u/$p" >/dev/null
  done
  $e profile create --profile hook-slow --issuer issuing --trust factory --authorize-url "$u/slow" --authorize-timeout-ms 1000 >/dev/null
  $e profile create --profile hook-hang --issuer issuing --trust factory --authorize-url "$u/hang" --authorize-timeout-ms 8000 >/dev/null
  $e profile create --profile hook-down --issuer issuing --trust factory --authorize-url "http://127.0.0.1:$(free_port)/allow" >/dev/null
  $e profile create --profile hook-skg --issuer issuing --trust factory --serverkeygen ec-p256 --authorize-url "$u/allow" >/dev/null
  $e profile create --profile hook-skg-deny --issuer issuing --trust factory --serverkeygen ec-p256 --authorize-url "$u/deny" >/dev/null
  $e profile create --profile hook-tls --issuer issuing --trust factory --authorize-url "$t/allow" --authorize-ca "$WORK/tls-ca.pem" \
    --authorize-client-cert "$h/hook-client.pem" --authorize-client-key "$h/hook-client.key" >/dev/null
  $e profile create --profile hook-tls-nocert --issuer issuing --trust factory --authorize-url "$t/allow" --authorize-ca "$WORK/tls-ca.pem" >/dev/null
  $e profile create --profile hook-tls-noca --issuer issuing --trust factory --authorize-url "$t/allow" \
    --authorize-client-cert "$h/hook-client.pem" --authorize-client-key "$h/hook-client.key" >/dev/null
  for p in allow deny exit3 segv leave; do
    $e profile create --profile "hook-cmd-$p" --issuer issuing --trust factory --authorize-command "$h/$p.sh" >/dev/null
  done
  $e profile create --profile hook-cmd-sleep --issuer issuing --trust factory --authorize-command "$h/sleep.sh" --authorize-timeout-ms 500 >/dev/null
  $e profile create --profile hook-cmd-missing --issuer issuing --trust factory --authorize-command "$h/no-such-program" >/dev/null
  # --auth http: a password, and whatever client certificate the device chooses to present.
  $e profile create --profile hook-http --issuer issuing --auth http --authorize-url "$u/allow" >/dev/null
  htpasswd -B -b -c "$h/htpasswd" hk-http 'pw-hook-0001' 2>/dev/null
  chmod 644 "$h/htpasswd"; chmod 711 "$WORK" "$h"  # nginx's worker reads it
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=forged-factory-device/O=Example Devices' \
    -addext extendedKeyUsage=clientAuth -keyout "$h/forged.key" -out "$h/forged.pem" 2>/dev/null
}

hook_cli_checks() {
  local e=$ESTFCGI out rc
  out=$($e profile show --profile hook-tls --json)
  expect_contains "hook cli: profile show --json has the URL" "$out" "\"authorize_url\" : \"https://127.0.0.1:$HOOK_PORT_tls/allow\""
  expect_contains "hook cli: ... the client certificate" "$out" "\"authorize_client_cert\" : \"$HOOK_DIR/hook-client.pem\""
  expect_contains "hook cli: ... the default timeout" "$out" '"authorize_timeout_ms" : 2000'
  expect_contains "hook cli: profile list shows a profile's hook" "$($e profile list | grep '^hook-cmd-deny')" "authorize=$HOOK_DIR/deny.sh"
  expect_eq "hook cli: ... and nothing for a profile without" "$($e profile list | grep -c '^iot.*authorize=')" 0
  out=$($e profile create --profile hook-x --issuer issuing --authorize-url http://a/ --authorize-command /bin/true 2>&1); rc=$?
  expect_eq "hook cli: both a URL and a command -> refused" "$rc $out" "1 estfcgi: error: give one of --authorize-url and --authorize-command"
  out=$($e profile create --profile hook-x --issuer issuing --authorize-command true 2>&1); rc=$?
  expect_contains "hook cli: a relative command -> refused" "$rc $out" "1 estfcgi: error: --authorize-command takes an absolute path"
  out=$($e profile create --profile hook-x --issuer issuing --authorize-url 'file:///etc/passwd' 2>&1); rc=$?
  expect_contains "hook cli: a file: URL -> refused" "$rc $out" "1 estfcgi: error: --authorize-url: invalid URL: not http:// or https://"
  out=$($e profile create --profile hook-x --issuer issuing --authorize-url 'https://est:s3cret@hooks.example/x' 2>&1); rc=$?
  expect_contains "hook cli: a URL with credentials -> refused" "$rc $out" "1 estfcgi: error: --authorize-url must not hold credentials"
  out=$($e profile create --profile hook-x --issuer issuing --authorize-url 'http://a/x' --authorize-ca /etc/ssl/certs/ca-certificates.crt 2>&1); rc=$?
  expect_contains "hook cli: --authorize-ca with http:// -> refused" "$rc $out" "need an https:// --authorize-url"
  out=$($e profile create --profile hook-x --issuer issuing --authorize-url 'https://a/x' --authorize-client-cert /a.pem 2>&1); rc=$?
  expect_contains "hook cli: a client certificate without its key -> refused" "$rc $out" "go together"
  out=$($e profile create --profile hook-x --issuer issuing --authorize-url 'http://a/x' --authorize-timeout-ms 0 2>&1); rc=$?
  expect_contains "hook cli: timeout 0 -> refused" "$rc $out" "--authorize-timeout-ms must be 1-60000"
  expect_eq "hook cli: nothing was created by the refusals" "$($e profile show --profile hook-x 2>&1)" "estfcgi: error: no profile hook-x"
  out=$($e doctor 2>&1)
  expect_contains "hook doctor: a hook command that is not there -> FAIL" "$out" \
    "FAIL  profile hook-cmd-missing  --authorize-command $HOOK_DIR/no-such-program is not a file: every enrollment under this profile is refused (503)"
  expect_contains "hook doctor: a hook with its files -> OK" "$out" \
    "OK    profile hook-tls  authorization hook: URL https://127.0.0.1:$HOOK_PORT_tls/allow, 2000 ms"
  $e profile create --profile hook-x --issuer issuing --authorize-url http://127.0.0.1:1/a >/dev/null
  $e profile update --profile hook-x --authorize-timeout-ms 700 >/dev/null
  out=$($e profile update --profile hook-x --authorize-command /bin/true --json)
  expect_contains "hook cli: update to a command replaces the URL, keeps the timeout" \
    "$(echo "$out" | tr -d '\n ')" '"authorize_command":"/bin/true","authorize_timeout_ms":700,"authorize_url":null'
  out=$($e profile update --profile hook-x --no-authorize --json | tr -d '\n ')
  expect_contains "hook cli: --no-authorize removes the hook" "$out" '"authorize_command":null'
  expect_contains "hook cli: ... (no URL either)" "$out" '"authorize_url":null'
  out=$($e profile update --profile hook-x --authorize-timeout-ms 900 2>&1); rc=$?
  expect_contains "hook cli: tuning a hook the profile has not -> refused" "$rc $out" "need --authorize-url or --authorize-command"
  $e profile delete --profile hook-x >/dev/null
}

hook_http_checks() {
  local s=hook before out id
  before=$(issued_count)
  # Allow: the certificate is issued; the receiver saw the whole document.
  hook_enroll hook-allow hk-allow
  expect_eq "$s: allow -> 200" "$STATUS" 200
  expect_eq "$s: ... POSTed as application/json" "$(hook_last plain "e['path'] + ' ' + e['content_type']")" "/allow application/json"
  expect_eq "$s: ... operation, profile, device" "$(hook_last plain "e['doc']['operation'] + ' ' + e['doc']['profile'] + ' ' + e['doc']['device']")" \
    "simpleenroll hook-allow hk-allow"
  expect_eq "$s: ... subject and SANs" "$(hook_last plain "e['doc']['subject'] + ' ' + ','.join(e['doc']['sans'])")" \
    "O=Example Devices,CN=hk-allow DNS:hk-allow.example"
  expect_eq "$s: ... the CSR in PEM" "$(hook_last plain "e['doc']['csr']" | openssl req -noout -subject 2>&1)" "subject=CN = hk-allow, O = Example Devices"
  expect_eq "$s: ... the client certificate in PEM" "$(hook_last plain "e['doc']['client_certificate']" | openssl x509 -noout -fingerprint)" \
    "$(openssl x509 -in "$WORK/boot.pem" -noout -fingerprint)"
  expect_eq "$s: ... no HTTP user" "$(hook_last plain "e['doc']['http_user']")" None
  id=$(hook_last plain "e['doc']['request_id']")
  expect_eq "$s: ... a request id, also as X-Request-ID" "$(hook_last plain "e['request_id_header']")" "$id"
  expect_contains "$s: ... audit: issued, allowed by the hook, with the request id" "$(hook_audit hook-allow)" \
    "200|issued O=Example Devices,CN=hk-allow (allowed by the authorization hook, request $id)"
  p7certs "$WORK/resp.body" "$WORK/hk-allow.pem"

  # Re-enrollment and serverkeygen ask the hook too.
  mkcsr hk-allow-2 ec-P-256 "/CN=hk-allow/O=Example Devices" "DNS:hk-allow.example"
  post /.well-known/est/hook-allow/simplereenroll "$WORK/hk-allow-2.csr" hk-allow hk-allow
  expect_eq "$s: simplereenroll allowed -> 200" "$STATUS" 200
  expect_eq "$s: ... the hook saw simplereenroll and the certificate being renewed" \
    "$(hook_last plain "e['doc']['operation']") $(hook_last plain "e['doc']['client_certificate']" | openssl x509 -noout -serial)" \
    "simplereenroll $(openssl x509 -in "$WORK/hk-allow.pem" -noout -serial)"
  mkcsr hk-skg ec-P-256 "/CN=hk-skg/O=Example Devices"
  post /.well-known/est/hook-skg/serverkeygen "$WORK/hk-skg.csr" boot boot
  expect_eq "$s: serverkeygen allowed -> 200, the hook saw serverkeygen" "$STATUS $(hook_last plain "e['doc']['operation']")" "200 serverkeygen"
  expect_eq "$s: 3 certificates issued so far" "$(issued_count)" $((before + 3))

  # Deny: 403 with the hook's reason, nothing issued, audited.
  before=$(issued_count)
  hook_enroll hook-deny hk-deny
  id=$(hook_last plain "e['doc']['request_id']")
  expect_eq "$s: deny -> 403 with the hook's reason" "$STATUS $(cat "$WORK/resp.body")" \
    "403 denied by the authorization hook: device not in inventory (request $id)"
  expect_eq "$s: ... audit: the denial and its reason" "$(hook_audit hook-deny)" \
    "403|denied by the authorization hook: device not in inventory (request $id)"
  mkcsr hk-skg2 ec-P-256 "/CN=hk-skg2/O=Example Devices"
  post /.well-known/est/hook-skg-deny/serverkeygen "$WORK/hk-skg2.csr" boot boot
  expect_eq "$s: serverkeygen denied -> 403" "$STATUS" 403
  hook_enroll hook-deny-ctl hk-ctl
  expect_eq "$s: a reason with CR LF ESC -> escaped, one line" "$STATUS $(wc -l < "$WORK/resp.body") $(head -c 300 "$WORK/resp.body" | hook_reason)" \
    '403 1 bad\x0d\x0aX-Injected: 1\x1b[31m'
  expect_eq "$s: ... no header injected" "$(grep -ci '^X-Injected' "$WORK/resp.headers")" 0
  hook_enroll hook-deny-long hk-long
  expect_eq "$s: a 10 KB reason -> 403, cut to 200 bytes" "$STATUS $(hook_reason < "$WORK/resp.body" | tr -d '\n' | wc -c)" "403 203"

  # No clear answer: 503 + Retry-After, nothing issued (fail closed).
  local p
  for p in 500 garbage allow-number redirect big down allow-dup allow-dup-escaped allow-utf16; do
    hook_enroll "hook-$p" "hk-$p"
    expect_eq "$s: hook $p -> 503, Retry-After 10" "$STATUS $(header Retry-After)" "503 10"
  done
  expect_contains "$s: ... audit of the 500 says why" "$(hook_audit hook-500)" "503|authorization hook failed: "
  expect_contains "$s: ... answered HTTP 500" "$(hook_audit hook-500)" "failed: answered HTTP 500 (request "
  expect_contains "$s: ... audit of the garbage says why" "$(hook_audit hook-garbage)" 'answer is not a JSON object with a boolean "allow"'
  expect_contains "$s: ... {\"allow\": 1} is not an allow" "$(hook_audit hook-allow-number)" 'answer is not a JSON object'
  expect_contains "$s: ... a redirect is not followed" "$(hook_audit hook-redirect)" "answered HTTP 302"
  expect_contains "$s: ... a 1 MB answer is not read" "$(hook_audit hook-big)" "response body over 16384 bytes"
  expect_contains "$s: ... a hook that is down" "$(hook_audit hook-down)" "Couldn't connect to server"
  # RFC 8259 §4: a repeated name is no clear answer (Foundation would read the first "allow", Python the last).
  expect_contains "$s: ... {\"allow\": true, \"allow\": false} is not an allow" "$(hook_audit hook-allow-dup)" "answer repeats a name"
  expect_contains "$s: ... nor with the second name escaped (al\\u006cow)" "$(hook_audit hook-allow-dup-escaped)" "answer repeats a name"
  expect_contains "$s: ... an allow in UTF-16 is not JSON as RFC 8259 §8.1 has it" "$(hook_audit hook-allow-utf16)" "answer is not JSON in UTF-8"
  hook_enroll hook-slow hk-slow
  expect_eq "$s: a hook slower than --authorize-timeout-ms 1000 -> 503" "$STATUS $(header Retry-After)" "503 10"
  expect_contains "$s: ... audit: no answer within 1000 ms" "$(hook_audit hook-slow)" "no answer within 1000 ms"
  expect_eq "$s: nothing issued by any of them" "$(issued_count)" $((before + 0))
  hook_enroll hook-allow-nested hk-nested
  expect_eq "$s: an allow beside nested members named allow (and braces in strings) -> 200" "$STATUS" 200

  # HTTPS with a client certificate (mutual TLS).
  hook_enroll hook-tls hk-tls
  expect_eq "$s: https hook with a client certificate -> 200" "$STATUS" 200
  expect_eq "$s: ... the receiver saw estfcgi's client certificate" "$(hook_last tls "e.get('client_cn')")" "estfcgi-hook-client"
  hook_enroll hook-tls-nocert hk-tls2
  expect_eq "$s: https hook, no client certificate (the receiver requires one) -> 503" "$STATUS" 503
  hook_enroll hook-tls-noca hk-tls3
  expect_eq "$s: https hook not trusted by the system CAs (no --authorize-ca) -> 503" "$STATUS" 503
  expect_contains "$s: ... audit: the certificate problem" "$(hook_audit hook-tls-noca)" "certificate"

  # Profiles without a hook never call one.
  local calls; calls=$(cat "$HOOK_DIR"/plain.log "$HOOK_DIR"/tls.log | wc -l)
  hook_enroll "" hk-nohook
  expect_eq "$s: a profile without a hook -> 200, no call" "$STATUS $(cat "$HOOK_DIR"/plain.log "$HOOK_DIR"/tls.log | wc -l)" "200 $calls"
}

# --auth http: the hook gets the HTTP user, and no client certificate: the one presented
# (nginx's optional_no_ca passes any) was not verified by estfcgi, so the hook must not see
# it as if it had been (a self-signed one naming any device or issuer).
hook_http_auth_checks() {
  local s=hook-http-auth
  mkcsr hk-http ec-P-256 "/CN=hk-http/O=Example Devices"
  est POST /.well-known/est/hook-http/simpleenroll -u 'hk-http:pw-hook-0001' --cert "$HOOK_DIR/forged.pem" --key "$HOOK_DIR/forged.key" \
    -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/hk-http.csr"
  expect_eq "$s: password and a self-signed client certificate, hook allows -> 200" "$STATUS" 200
  expect_eq "$s: ... the hook saw the HTTP user" "$(hook_last plain "e['doc']['http_user']")" hk-http
  expect_eq "$s: ... and no client certificate (the self-signed one was not verified)" "$(hook_last plain "e['doc']['client_certificate']")" None
}

hook_command_checks() {
  local s=hook-command h=$HOOK_DIR
  hook_enroll hook-cmd-allow hk-cmd-allow
  expect_eq "$s: exit 0 -> 200" "$STATUS" 200
  expect_eq "$s: ... the document on stdin" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["operation"], d["device"])' "$h/cmd-in.json")" \
    "simpleenroll hk-cmd-allow"
  expect_eq "$s: ... an environment of PATH only" "$(grep -v '^PWD=' "$h/cmd-env.txt")" "PATH=/usr/local/bin:/usr/bin:/bin"
  expect_eq "$s: ... no socket or store file of the responder's among its descriptors" \
    "$(grep -c -E 'socket:|\.db' "$h/cmd-fds.txt")" 0
  hook_enroll hook-cmd-deny hk-cmd-deny
  expect_contains "$s: exit 1 -> 403 with the first line of output" "$STATUS $(cat "$WORK/resp.body")" "403 denied by the authorization hook: "
  expect_contains "$s: ... that line" "$(cat "$WORK/resp.body")" "hook: serial not on the allow list (request "
  expect_contains "$s: ... audited" "$(hook_audit hook-cmd-deny)" "403|denied by the authorization hook"
  hook_enroll hook-cmd-exit3 hk-cmd-3
  expect_eq "$s: exit 3 -> 503" "$STATUS $(header Retry-After)" "503 10"
  expect_contains "$s: ... audited" "$(hook_audit hook-cmd-exit3)" "command exited 3"
  hook_enroll hook-cmd-segv hk-cmd-segv
  expect_eq "$s: a crash (SIGSEGV) -> 503" "$STATUS" 503
  expect_contains "$s: ... audited" "$(hook_audit hook-cmd-segv)" "command killed by signal 11"
  hook_enroll hook-cmd-sleep hk-cmd-sleep
  expect_eq "$s: a command past its 500 ms -> 503" "$STATUS" 503
  expect_contains "$s: ... audited" "$(hook_audit hook-cmd-sleep)" "command did not finish within 500 ms (killed)"
  sleep 0.2
  expect_eq "$s: ... its process group, the child it forked too, is gone" "$(pgrep -c -f 'sleep 37.25')" 0
  hook_enroll hook-cmd-leave hk-cmd-leave
  expect_eq "$s: a command that exits 0 leaving a child behind -> 200" "$STATUS" 200
  sleep 0.2
  expect_eq "$s: ... the child it left is killed with its process group" "$(pgrep -c -f 'sleep 41.75')" 0
  hook_enroll hook-cmd-missing hk-cmd-missing
  expect_eq "$s: a command that does not exist -> 503" "$STATUS" 503
  expect_contains "$s: ... audited" "$(hook_audit hook-cmd-missing)" "command did not start: No such file or directory"
}

# Three enrollments hold every hook slot (--workers 4: 3) on a hook that hangs past its
# 8 s timeout; meanwhile devices of a profile without a hook keep enrolling, concurrently,
# through the fourth worker, and a fourth hooked request is refused at once.
hook_hang_checks() {
  local s=hook-hang i pids=() t0
  for i in 1 2 3; do
    mkcsr "hk-hang-$i" ec-P-256 "/CN=hk-hang-$i/O=Example Devices"
    curl -sS --max-time 30 -o "$HOOK_DIR/hang-$i.body" -D "$HOOK_DIR/hang-$i.headers" -w '%{http_code}' --cacert "$WORK/tls-ca.pem" \
      --cert "$WORK/boot.pem" --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/hk-hang-$i.csr" \
      "$BASE/.well-known/est/hook-hang/simpleenroll" > "$HOOK_DIR/hang-$i.code" &
    pids+=($!)
  done
  # Until all three are inside the hook (the receiver logged them), not a guessed while.
  for i in $(seq 100); do [ "$(grep -c '"/hang"' "$HOOK_DIR/plain.log")" -ge 3 ] && break; sleep 0.1; done
  t0=$(date +%s.%N)
  hook_enroll hook-hang hk-hang-4
  expect_eq "$s: a fourth hooked request while 3 hang -> 503 (no free slot), Retry-After 2" "$STATUS $(header Retry-After)" "503 2"
  expect_eq "$s: ... at once (under 2 s, the hung ones wait 8)" "$(python3 -c "import time; print(time.time() - $t0 < 2)")" True
  for i in $(seq 8); do mkcsr "hk-free-$i" ec-P-256 "/CN=hk-free-$i/O=Example Devices"; done
  seq 8 | xargs -P 4 -I{} curl -sS --max-time 30 -o /dev/null -w '%{http_code}\n' --cacert "$WORK/tls-ca.pem" \
    --cert "$WORK/boot.pem" --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/hk-free-{}.csr" \
    "$BASE/.well-known/est/simpleenroll" > "$HOOK_DIR/free.codes"
  local still=0; for i in "${pids[@]}"; do kill -0 "$i" 2>/dev/null && still=$((still + 1)); done
  expect_eq "$s: 8 enrollments without a hook, 4 at a time, all 200 ..." "$(sort "$HOOK_DIR/free.codes" | uniq -c | tr -s ' ')" " 8 200"
  expect_eq "$s: ... while all 3 hooked requests were still waiting" "$still" 3
  wait "${pids[@]}"
  expect_eq "$s: the 3 hung ones -> 503 at their timeout" "$(cat "$HOOK_DIR"/hang-{1,2,3}.code)" "503503503"
  expect_eq "$s: ... with Retry-After 10" "$(grep -h -i '^Retry-After' "$HOOK_DIR"/hang-{1,2,3}.headers | tr -d '\r' | sort -u)" "Retry-After: 10"
}

hook_metrics_checks() {
  local s=hook-metrics m
  m=$(curl -sS --cacert "$WORK/tls-ca.pem" "$BASE/.well-known/est/.metrics")
  expect_contains "$s: allow counted" "$m" 'estfcgi_authorization_hook_calls_total{profile="hook-allow",outcome="allow"} 2'
  expect_contains "$s: deny counted" "$m" 'estfcgi_authorization_hook_calls_total{profile="hook-deny",outcome="deny"} 1'
  expect_contains "$s: errors counted" "$m" 'estfcgi_authorization_hook_calls_total{profile="hook-hang",outcome="error"} 3'
  expect_contains "$s: no free slot counted" "$m" 'estfcgi_authorization_hook_calls_total{profile="hook-hang",outcome="busy"} 1'
  expect_contains "$s: command deny counted" "$m" 'estfcgi_authorization_hook_calls_total{profile="hook-cmd-deny",outcome="deny"} 1'
  expect_contains "$s: the slots: workers - 1" "$m" 'estfcgi_authorization_hook_slots 3'
  expect_contains "$s: none in flight now" "$m" 'estfcgi_authorization_hook_in_flight 0'
  expect_contains "$s: a hook's 503s are not store errors" "$m" 'estfcgi_store_errors_total 0'
  expect_contains "$s: ... but refusals of their own kind" "$m" 'estfcgi_refusals_total{reason="hook_unavailable"}'
  expect_contains "$s: ... as denials are" "$m" 'estfcgi_refusals_total{reason="hook_denied"}'
}

hook_cgi_checks() {
  local s=hook-cgi
  mkcsr hk-cgi ec-P-256 "/CN=hk-cgi/O=Example Devices"
  cp "$WORK/hk-cgi.der" "$WORK/cgi-in"
  local label
  for label in hook-deny hook-allow hook-cmd-deny hook-500; do
    cgi_by_hand REQUEST_METHOD=POST PATH_INFO="/$label/simpleenroll" CONTENT_TYPE=application/pkcs10 \
      CONTENT_LENGTH="$(stat -c %s "$WORK/cgi-in")" SSL_CLIENT_CERT="$(cat "$WORK/boot.pem")" \
      ESTFCGI_DB="$ESTFCGI_DB" ESTFCGI_KEY_PASSPHRASE_FILE="$ESTFCGI_KEY_PASSPHRASE_FILE"
    cgi_split
    echo "$(head -1 "$WORK/cgi-head")" > "$HOOK_DIR/cgi-$label"
  done
  expect_eq "$s: URL hook deny -> 403" "$(cat "$HOOK_DIR/cgi-hook-deny")" "Status: 403 Forbidden"
  expect_eq "$s: URL hook allow -> 200" "$(cat "$HOOK_DIR/cgi-hook-allow")" "Status: 200 OK"
  expect_eq "$s: command hook deny -> 403" "$(cat "$HOOK_DIR/cgi-hook-cmd-deny")" "Status: 403 Forbidden"
  expect_eq "$s: hook 500 -> 503" "$(cat "$HOOK_DIR/cgi-hook-500")" "Status: 503 Service Unavailable"
  expect_contains "$s: ... audited by the CGI process" "$(hook_audit hook-500)" "answered HTTP 500"
  # Two denials, two request ids: `estfcgi stats` counts them under one reason.
  expect_contains "$s: estfcgi stats groups the hook's denials into one reason" "$("$ESTFCGI" stats 2>&1)" \
    "$(printf '\t2\thook-cmd-deny\tsimpleenroll\t403\tdenied by the authorization hook')"
}

suite_hook() {
  SUITE=hook
  HOOK_DIR=$WORK/hook; HOOK_PIDS=()
  mkdir -p "$HOOK_DIR"
  hook_receiver_start plain
  # The TLS receiver needs the certificate hook_setup makes: its profiles get its port after.
  HOOK_PORT_tls=0
  hook_setup
  hook_receiver_start tls "$HOOK_DIR/hook-server.pem" "$HOOK_DIR/hook-server.key" "$WORK/tls-ca.pem"
  local e=$ESTFCGI t=https://127.0.0.1:$HOOK_PORT_tls p
  for p in hook-tls hook-tls-nocert hook-tls-noca; do $e profile update --profile "$p" --authorize-url "$t/allow" >/dev/null; done
  if [ -z "$HOOK_PORT_plain" ] || [ -z "$HOOK_PORT_tls" ]; then not_ok "hook: receivers start"; hook_stop; return; fi
  ok "hook: receivers start"
  if ! hook_front_start; then not_ok "hook: front and responder start"; hook_stop; return; fi
  ok "hook: front and responder start"
  BASE=https://127.0.0.1:$HOOK_NGINX_PORT
  hook_cli_checks
  hook_http_checks
  hook_http_auth_checks
  hook_command_checks
  hook_hang_checks
  hook_metrics_checks
  hook_cgi_checks
  # The store stays fit for doctor's other suites: the profile with a missing command goes.
  "$ESTFCGI" profile delete --profile hook-cmd-missing >/dev/null
  hook_stop
}

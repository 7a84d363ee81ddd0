# Event notifications (sourced): a real receiver (Python's http.server, notify_receiver.py)
# on loopback, plain and TLS; `serve`'s delivery loop behind a real nginx, and `notify run
# --once`. Checks: each event delivered once while the receiver is up, with a valid HMAC;
# none lost and none out of order across a receiver outage; kill -9 of serve mid-delivery
# loses nothing (duplicates allowed, same id and bytes); two deliverers at once keep order.
# A store of its own (a copy of the PKI store), so other suites' counts are untouched.

# notify_receiver NAME PORT [ARGS...]: starts a receiver logging to $ND/NAME.log.
notify_receiver() {
  local name=$1 port=$2; shift 2
  python3 "$HERE/notify_receiver.py" --port "$port" --log "$ND/$name.log" "$@" > "$ND/$name.out" 2>&1 &
  eval "RECV_${name}_PID=$!"
  wait_port "$port"
}
notify_receiver_stop() { local v="RECV_$1_PID"; [ -n "${!v:-}" ] && { kill "${!v}" 2>/dev/null; wait "${!v}" 2>/dev/null; }; eval "RECV_$1_PID="; }

# received NAME: lines logged by receiver NAME.
received() { [ -f "$ND/$1.log" ] && wc -l < "$ND/$1.log" | tr -d ' ' || echo 0; }
# wait_received NAME N [SECONDS]: until receiver NAME has logged N events (default 20 s).
wait_received() {
  local i
  for i in $(seq 1 $(( ${3:-20} * 10 ))); do [ "$(received "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  return 1
}
# outbox_ids RECEIVER_ID: the event ids owed to that receiver, in outbox (commit) order.
# (Only those after $NOTIFY_SINCE, an outbox id: the receiver's log is started afresh then.)
outbox_ids() {
  sqlite3 "$ESTFCGI_DB" "SELECT o.event_id FROM notify_deliveries d JOIN notify_outbox o ON o.id = d.outbox_id
                          WHERE d.receiver_id = $1 AND o.id > ${NOTIFY_SINCE:-0} ORDER BY o.id"
}
# notify_fresh_log NAME: keeps NAME's log aside and compares from here on.
notify_fresh_log() {
  mv "$ND/$1.log" "$ND/$1.log.$(date +%s%N)"
  NOTIFY_SINCE=$(sqlite3 "$ESTFCGI_DB" "SELECT coalesce(max(id), 0) FROM notify_outbox")
}
# wait_backlog RECEIVER_ID SECONDS: until it has nothing left to deliver.
wait_backlog() {
  local i
  for i in $(seq 1 $(( $2 * 10 ))); do [ "$(backlog_of "$1")" = 0 ] && return 0; sleep 0.1; done
  return 1
}
# ids_of NAME: event ids as received (with duplicates), in order.
ids_of() { python3 -c 'import json,sys; [print(json.loads(l)["id"]) for l in open(sys.argv[1])]' "$ND/$1.log"; }
# first_seen NAME: the received ids, duplicates dropped (first occurrence kept), in order.
first_seen() { ids_of "$1" | awk '!seen[$0]++'; }
backlog_of() { "$ESTFCGI" notify list --json | python3 -c 'import json,sys; print([r["backlog"] for r in json.load(sys.stdin) if r["id"]==int(sys.argv[1])][0])' "$1"; }

notify_serve_start() {
  "$ESTFCGI" serve --listen "127.0.0.1:$NFCGI_PORT" --workers 2 --read-timeout 3 2>> "$ND/serve.log" &
  NSERVE_PID=$!
  wait_port "$NFCGI_PORT"
}
notify_serve_stop() {
  [ -n "${NSERVE_PID:-}" ] && kill -0 "$NSERVE_PID" 2>/dev/null && { kill -TERM "$NSERVE_PID"; wait "$NSERVE_PID" 2>/dev/null; }
  NSERVE_PID=
}

notify_stop() {
  notify_serve_stop
  [ -f "$ND/nginx/nginx.pid" ] && nginx -p "$ND/nginx" -c "$ND/nginx/nginx.conf" -e "$ND/nginx/error.log" -s stop 2>/dev/null
  local n; for n in plain tls slow; do notify_receiver_stop $n; done
  [ -n "${NOTIFY_SAVED_DB:-}" ] && export ESTFCGI_DB=$NOTIFY_SAVED_DB
  NOTIFY_SAVED_DB=
}

suite_notify() {
  SUITE=notify
  ND=$WORK/notify
  mkdir -p "$ND/nginx/tmp"
  NOTIFY_SAVED_DB=$ESTFCGI_DB
  rm -f "$ND/ca.db"
  sqlite3 "$ESTFCGI_DB" ".backup '$ND/ca.db'"
  chmod 600 "$ND/ca.db"
  export ESTFCGI_DB=$ND/ca.db
  local saved_base=${BASE:-}
  notify_cli
  notify_delivery
  notify_outage
  notify_kill9
  notify_run_once
  notify_tls
  notify_secret_bytes
  notify_two_deliverers
  notify_stop
  BASE=$saved_base
}

# add/list/remove and what they refuse.
notify_cli() {
  local out rc
  head -c 32 /dev/urandom | base64 > "$ND/secret"; chmod 600 "$ND/secret"
  out=$("$ESTFCGI" notify add --url ftp://127.0.0.1/x 2>&1); rc=$?
  expect_eq "notify: add refuses a non-http URL (exit)" "$rc" 1
  expect_contains "notify: ... saying why" "$out" "http:// or https://"
  # Port 0 (and past 65535) is no TCP port: refused when added, not at every delivery.
  local port
  for port in 0 65536; do
    out=$("$ESTFCGI" notify add --url "http://127.0.0.1:$port/x" 2>&1); rc=$?
    expect_contains "notify: add refuses port $port" "$rc $out" "1 estfcgi: error: --url: port $port is not a TCP port (1-65535)"
  done
  out=$("$ESTFCGI" notify add --url "http://[::1]:0/x" 2>&1); rc=$?
  expect_contains "notify: add refuses port 0 after an IPv6 literal" "$rc $out" "1 estfcgi: error: --url: port 0 is not a TCP port"
  out=$("$ESTFCGI" notify add --url "http://127.0.0.1:1/$(printf 'a\tb')" 2>&1) && not_ok "notify: add refuses control characters" || ok "notify: add refuses control characters"
  out=$("$ESTFCGI" notify add --url http://127.0.0.1:1/ --events issued,nonsense 2>&1); rc=$?
  expect_contains "notify: add refuses an unknown event" "$rc $out" "1 estfcgi: error: --events: unknown event 'nonsense'"
  cp "$ND/secret" "$ND/secret-open"; chmod 644 "$ND/secret-open"
  out=$("$ESTFCGI" notify add --url http://127.0.0.1:1/ --secret-file "$ND/secret-open" 2>&1); rc=$?
  expect_contains "notify: add refuses a secret file open to others" "$rc $out" "1 estfcgi: error: passphrase file $ND/secret-open is open to others"
  printf 'short\n' > "$ND/secret-short"; chmod 600 "$ND/secret-short"
  out=$("$ESTFCGI" notify add --url http://127.0.0.1:1/ --secret-file "$ND/secret-short" 2>&1); rc=$?
  expect_contains "notify: add refuses a secret under 16 characters" "$rc $out" "shorter than 16"
  out=$("$ESTFCGI" notify add --url https://127.0.0.1:1/ --ca "$ND/secret" 2>&1); rc=$?
  expect_contains "notify: add refuses a --ca without certificates" "$rc $out" "holds no PEM certificate"
  "$ESTFCGI" notify add --url http://127.0.0.1:1/gone --events revoked >/dev/null
  out=$("$ESTFCGI" notify add --url http://127.0.0.1:1/gone 2>&1); rc=$?
  expect_contains "notify: a URL is added once" "$rc $out" "exists already"
  out=$("$ESTFCGI" notify remove --url http://127.0.0.1:1/gone 2>&1)
  expect_contains "notify: remove by URL" "$out" "removed receiver"
  expect_eq "notify: nothing left" "$("$ESTFCGI" notify list --json | tr -d ' \n')" "[]"
  expect_eq "notify: add and remove are audited" "$(sqlite3 "$ESTFCGI_DB" "SELECT count(*) FROM audit WHERE operation IN ('notify-add','notify-remove')")" 2
  # doctor: a receiver whose secret file is gone can never be delivered to.
  cp "$ND/secret" "$ND/secret-gone"
  "$ESTFCGI" notify add --url http://127.0.0.1:1/no-secret --secret-file "$ND/secret-gone" >/dev/null
  expect_contains "doctor: a receiver with its secret file is OK" "$("$ESTFCGI" doctor 2>&1)" "OK    notify 1  http://127.0.0.1:1/no-secret: 0 delivered, 0 owed"
  rm "$ND/secret-gone"
  out=$("$ESTFCGI" doctor 2>&1); rc=$?
  expect_contains "doctor: a receiver whose secret file is gone FAILs (exit 1)" "$rc $out" "1 "
  expect_contains "doctor: ... naming the receiver and the file" "$out" "FAIL  notify 1  http://127.0.0.1:1/no-secret: secret file: "
  expect_contains "doctor: ... and how to mend it" "$out" "fix: restore $ND/secret-gone"
  "$ESTFCGI" notify remove --url http://127.0.0.1:1/no-secret >/dev/null
}

# Through nginx: issued, renewed (+ revoked as superseded, profile iot), revoked by the
# operator, refused, pending, then issued on approval: each once, signed, in commit order.
notify_delivery() {
  NRECV_PORT=$(free_port); NFCGI_PORT=$(free_port)
  local nport; nport=$(free_port)
  render_nginx_conf "$nport" "$NFCGI_PORT" "$ND/nginx/estfcgi.conf"
  { nginx_http_head "$ND/nginx"; echo "    include $ND/nginx/estfcgi.conf;"; echo "}"; } > "$ND/nginx/nginx.conf"
  nginx -p "$ND/nginx" -c "$ND/nginx/nginx.conf" -e "$ND/nginx/error.log"
  BASE=https://127.0.0.1:$nport
  "$ESTFCGI" profile create --profile approve --issuer issuing --trust factory --approval manual --approval-retry-after 1 >/dev/null
  "$ESTFCGI" notify add --url "http://127.0.0.1:$NRECV_PORT/events" --secret-file "$ND/secret" >/dev/null
  notify_receiver plain "$NRECV_PORT" --secret-file "$ND/secret"
  notify_serve_start
  wait_port "$nport"

  mkcsr nt-a ec-P-256 "/CN=nt-a/O=Example Devices"
  post /.well-known/est/iot/simpleenroll "$WORK/nt-a.csr" boot boot
  expect_eq "notify: enroll -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/nt-a.pem"
  mkcsr nt-a2 ec-P-256 "/CN=nt-a/O=Example Devices"
  post /.well-known/est/iot/simplereenroll "$WORK/nt-a2.csr" nt-a nt-a
  expect_eq "notify: re-enroll (iot revokes the old one) -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/nt-a2.pem"
  "$ESTFCGI" cert revoke "$(openssl x509 -in "$WORK/nt-a2.pem" -noout -serial | cut -d= -f2)" --reason keyCompromise >/dev/null
  # iot takes EC keys only: a refusal after a policy decision (audited, so an event).
  mkcsr nt-r rsa:2048 "/CN=nt-r/O=Example Devices"
  post /.well-known/est/iot/simpleenroll "$WORK/nt-r.csr" boot boot
  expect_eq "notify: RSA key on iot -> 400" "$STATUS" 400
  mkcsr nt-p ec-P-256 "/CN=nt-p/O=Example Devices"
  post /.well-known/est/approve/simpleenroll "$WORK/nt-p.csr" boot boot
  expect_eq "notify: manual approval -> 202" "$STATUS" 202
  post /.well-known/est/approve/simpleenroll "$WORK/nt-p.csr" boot boot
  expect_eq "notify: polled again -> 202 (one pending event still)" "$STATUS" 202
  "$ESTFCGI" request approve "$(sqlite3 "$ESTFCGI_DB" "SELECT max(id) FROM enrollment_requests")" >/dev/null
  post /.well-known/est/approve/simpleenroll "$WORK/nt-p.csr" boot boot
  expect_eq "notify: approved -> 200" "$STATUS" 200

  # issued, renewed, revoked (superseded), revoked (operator), refused, pending, issued.
  wait_received plain 7 || true
  sleep 1.5   # a duplicate would arrive within the loop's next pass
  expect_eq "notify: 7 events delivered" "$(received plain)" 7
  expect_eq "notify: types in commit order" "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["type"].split(".",1)[1] for l in open(sys.argv[1])))' "$ND/plain.log")" \
    "certificate.issued certificate.renewed certificate.revoked certificate.revoked enrollment.refused enrollment.pending certificate.issued"
  expect_eq "notify: each once, in outbox order" "$(ids_of plain)" "$(outbox_ids 1)"
  expect_eq "notify: every signature verified by the receiver" "$(grep -c '"sig": "ok"' "$ND/plain.log")" 7
  local first; first=$(head -1 "$ND/plain.log")
  expect_contains "notify: CloudEvents 1.0, structured mode" "$first" '"specversion": "1.0", "source": "/.well-known/est/iot"'
  expect_contains "notify: ... application/cloudevents+json" "$first" '"ctype": "application/cloudevents+json; charset=utf-8"'
  expect_contains "notify: issued event names serial, subject, profile" "$first" "\"serial\": \"$(openssl x509 -in "$WORK/nt-a.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')\""
  expect_contains "notify: renewed event names what it replaces" "$(sed -n 2p "$ND/plain.log")" '"replaces": "'
  expect_contains "notify: superseded revocation" "$(sed -n 3p "$ND/plain.log")" '"reason": "superseded"'
  expect_contains "notify: operator revocation" "$(sed -n 4p "$ND/plain.log")" '"revoked_by": "admin"'
  expect_contains "notify: refusal carries status and reason" "$(sed -n 5p "$ND/plain.log")" '"status": 400'
  expect_contains "notify: pending names the request" "$(sed -n 6p "$ND/plain.log")" '"subject": "request/'
  expect_contains "notify: issued on approval names the request" "$(sed -n 7p "$ND/plain.log")" '"request": '
  expect_eq "notify: backlog 0 once delivered" "$(backlog_of 1)" 0
  # A body changed in transit fails verification: the receiver's check is real.
  local body='{"id":"x"}' sig
  sig=$(printf %s "$body" | openssl dgst -sha256 -hmac "$(head -1 "$ND/secret")" -r | cut -d' ' -f1)
  curl -s -o /dev/null -H "X-EST-Signature: sha256=$sig" --data-binary '{"id":"y"}' "http://127.0.0.1:$NRECV_PORT/events"
  expect_contains "notify: the receiver rejects a signature over other bytes" "$(tail -1 "$ND/plain.log")" '"sig": "bad"'
  sed -i '$d' "$ND/plain.log"
}

# The receiver down: events wait (backlog, last error), nothing is lost, then all arrive
# in order once it is back; the store's write path never waited for it.
notify_outage() {
  notify_receiver_stop plain
  local before i out; before=$(received plain)
  for i in 1 2 3 4 5; do
    mkcsr nt-o$i ec-P-256 "/CN=nt-o$i/O=Example Devices"
    "$ESTFCGI" cert issue --profile factory --csr "$WORK/nt-o$i.csr" > /dev/null
  done
  sleep 2.5
  expect_eq "notify: receiver down -> backlog of 5" "$(backlog_of 1)" 5
  expect_contains "notify: ... and the last error" "$("$ESTFCGI" notify list)" "last_error=Couldn't connect"
  out=$("$ESTFCGI" doctor 2>&1)
  expect_contains "doctor: a receiver that keeps failing is a WARN with what it is owed" "$out" "WARN  notify 1  http://127.0.0.1:$NRECV_PORT/events: 5 event(s) owed"
  expect_contains "doctor: ... with its last error" "$out" "Couldn't connect"
  notify_receiver plain "$NRECV_PORT" --secret-file "$ND/secret"
  # Back-off after ~3 failures is 4-8 s.
  wait_received plain $((before + 5)) 30 || true
  expect_eq "notify: all 5 delivered after it came back" "$(received plain)" $((before + 5))
  expect_eq "notify: none lost, none out of order, none twice" "$(ids_of plain)" "$(outbox_ids 1)"
  expect_eq "notify: backlog back to 0" "$(backlog_of 1)" 0
  expect_contains "doctor: the receiver is OK again once it is delivered to" "$("$ESTFCGI" doctor 2>&1)" "OK    notify 1  http://127.0.0.1:$NRECV_PORT/events: "
  # serve's metrics (the shipped location allows 127.0.0.1): deliveries, failed attempts of
  # the outage, and the backlog gauge (read again each pass, every second).
  sleep 1.5
  est GET /.well-known/est/.metrics
  local metrics; metrics=$(cat "$WORK/resp.body")
  expect_contains "notify: metrics: backlog gauge" "$metrics" $'\nestfcgi_notification_backlog 0\n'
  expect_contains "notify: metrics: one receiver" "$metrics" $'\nestfcgi_notification_receivers 1\n'
  local delivered failed
  delivered=$(printf '%s\n' "$metrics" | sed -n 's/^estfcgi_notifications_delivered_total //p')
  failed=$(printf '%s\n' "$metrics" | sed -n 's/^estfcgi_notification_failures_total //p')
  expect_eq "notify: metrics: the 12 events delivered by this serve" "$delivered" 12
  if [ "${failed:-0}" -ge 1 ]; then ok "notify: metrics: failed attempts counted ($failed)"; else not_ok "notify: metrics: failed attempts counted (got '$failed')"; fi
}

# kill -9 of serve while it delivers to a slow receiver: a new serve goes on (it takes over
# the dead process's lease at once); at least once, duplicates carry the same id and bytes.
notify_kill9() {
  notify_receiver_stop plain
  notify_receiver plain "$NRECV_PORT" --secret-file "$ND/secret" --delay 0.3
  local before i; before=$(received plain)
  notify_serve_stop
  for i in $(seq 1 12); do
    mkcsr nt-k$i ec-P-256 "/CN=nt-k$i/O=Example Devices"
    "$ESTFCGI" cert issue --profile factory --csr "$WORK/nt-k$i.csr" > /dev/null
  done
  notify_serve_start
  wait_received plain $((before + 4)) 20 || true
  kill -9 "$NSERVE_PID"; wait "$NSERVE_PID" 2>/dev/null; NSERVE_PID=
  local mid; mid=$(received plain)
  if [ "$mid" -gt "$before" ] && [ "$mid" -lt $((before + 12)) ]; then ok "notify: serve killed -9 mid-delivery ($((mid - before)) of 12 delivered)"
  else not_ok "notify: serve killed -9 mid-delivery (delivered $((mid - before)) of 12)"; fi
  notify_serve_start
  wait_backlog 1 30 || true
  expect_eq "notify: after kill -9 and restart nothing is lost, first deliveries in order" "$(first_seen plain)" "$(outbox_ids 1)"
  local dups; dups=$(python3 - "$ND/plain.log" <<'PY'
import json, sys
seen = {}
bad = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["id"] in seen and seen[e["id"]] != e["body_sha256"]:
        bad += 1
    seen.setdefault(e["id"], e["body_sha256"])
print(bad)
PY
)
  expect_eq "notify: a duplicate (if any) is the same bytes under the same id" "$dups" 0
  expect_eq "notify: backlog 0 after restart" "$(backlog_of 1)" 0
  notify_receiver_stop plain
  notify_fresh_log plain
  notify_receiver plain "$NRECV_PORT" --secret-file "$ND/secret"
}

# notify run --once without serve (cron, CGI setups): delivers what is pending and exits;
# exit 1 while the receiver is down.
notify_run_once() {
  notify_serve_stop
  local out rc
  mkcsr nt-c1 ec-P-256 "/CN=nt-c1/O=Example Devices"
  "$ESTFCGI" cert issue --profile factory --csr "$WORK/nt-c1.csr" > /dev/null
  out=$("$ESTFCGI" notify run --once 2>&1); rc=$?
  expect_eq "notify: run --once exit 0" "$rc" 0
  expect_contains "notify: run --once delivered it" "$out" "delivered 1 event(s); 0 receiver(s) failed"
  expect_eq "notify: ... to the receiver" "$(received plain)" 1
  notify_receiver_stop plain
  mkcsr nt-c2 ec-P-256 "/CN=nt-c2/O=Example Devices"
  "$ESTFCGI" cert issue --profile factory --csr "$WORK/nt-c2.csr" > /dev/null
  out=$("$ESTFCGI" notify run --once 2>&1); rc=$?
  expect_eq "notify: run --once with the receiver down exits 1" "$rc" 1
  notify_receiver plain "$NRECV_PORT" --secret-file "$ND/secret"
  out=$("$ESTFCGI" notify run --once 2>&1); rc=$?
  expect_contains "notify: run --once again: delivered now (back-off not waited for)" "$rc $out" "0 delivered 1 event(s)"
  # CGI mode (estfcgi run by the web server per request, as Apache or fcgiwrap would): the
  # request commits its event; cron's run --once delivers it.
  mkcsr nt-cgi ec-P-256 "/CN=nt-cgi/O=Example Devices"
  out=$(env -i PATH="$PATH" ESTFCGI_DB="$ESTFCGI_DB" ESTFCGI_KEY_PASSPHRASE_FILE="$ESTFCGI_KEY_PASSPHRASE_FILE" \
        GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST SCRIPT_NAME=/.well-known/est PATH_INFO=/iot/simpleenroll \
        CONTENT_TYPE=application/pkcs10 CONTENT_LENGTH="$(stat -c %s "$WORK/nt-cgi.csr")" HTTPS=on \
        SSL_CLIENT_CERT="$(cat "$WORK/boot.pem")" "$ESTFCGI" < "$WORK/nt-cgi.csr" 2>/dev/null | head -1 | tr -d '\r')
  expect_eq "notify: CGI-mode enrollment -> 200" "$out" "Status: 200 OK"
  out=$("$ESTFCGI" notify run --once 2>&1); rc=$?
  expect_contains "notify: ... its event delivered by run --once" "$rc $out" "0 delivered 1 event(s)"
  expect_contains "notify: ... an issued event for the CGI device" "$(tail -1 "$ND/plain.log")" '"subject": "O=Example Devices,CN=nt-cgi"'
  expect_eq "notify: in order, once each" "$(ids_of plain)" "$(outbox_ids 1)"
}

# HTTPS with --ca: delivered; with a CA that did not sign the receiver's certificate: not,
# and the error says why.
notify_tls() {
  local port bad out; port=$(free_port); bad=$(free_port)
  notify_receiver tls "$port" --cert "$WORK/server.pem" --key "$WORK/server.key"
  "$ESTFCGI" notify add --url "https://localhost:$port/tls" --ca "$WORK/tls-ca.pem" --events revoked >/dev/null
  "$ESTFCGI" notify add --url "https://localhost:$port/wrong-ca" --ca "$WORK/boot.pem" --events revoked >/dev/null
  "$ESTFCGI" cert revoke "$(openssl x509 -in "$WORK/boot-rsa.pem" -noout -serial | cut -d= -f2)" --reason keyCompromise >/dev/null
  "$ESTFCGI" notify run --once >/dev/null 2>&1
  expect_eq "notify: https receiver with --ca got the revocation" "$(received tls)" 1
  expect_contains "notify: ... only the event it subscribed to" "$(cat "$ND/tls.log")" '"type": "est.certificate.revoked"'
  expect_contains "notify: receiver whose CA does not match: certificate error" "$("$ESTFCGI" notify list)" "wrong-ca"
  expect_contains "notify: ... backlog stays" "$("$ESTFCGI" notify list --json | tr -d ' \n')" '"backlog":1,"ca_file":"'"$WORK/boot.pem"
  expect_contains "notify: ... with a TLS error" "$("$ESTFCGI" notify list | grep wrong-ca)" "last_error=SSL"
  "$ESTFCGI" notify remove --url "https://localhost:$port/wrong-ca" >/dev/null
  notify_receiver_stop tls
}

# The HMAC key is the secret file's first line as bytes, as a receiver reading the file
# takes it (docs/integrations.md): bytes that are not UTF-8 stay themselves, and a CRLF
# line end is not part of it.
notify_secret_bytes() {
  local kind; local -A port
  { printf '\377\376'; head -c 24 /dev/urandom | base64; } > "$ND/secret-bin"
  { head -c 24 /dev/urandom | base64 | tr -d '\n'; printf '\r\nsecond line\r\n'; } > "$ND/secret-crlf"
  chmod 600 "$ND/secret-bin" "$ND/secret-crlf"
  for kind in bin crlf; do
    port[$kind]=$(free_port)
    notify_receiver "$kind" "${port[$kind]}" --secret-file "$ND/secret-$kind"
    "$ESTFCGI" notify add --url "http://127.0.0.1:${port[$kind]}/$kind" --secret-file "$ND/secret-$kind" --events issued >/dev/null
  done
  mkcsr nt-sb ec-P-256 "/CN=nt-sb/O=Example Devices"
  "$ESTFCGI" cert issue --profile factory --csr "$WORK/nt-sb.csr" > /dev/null
  "$ESTFCGI" notify run --once >/dev/null 2>&1
  for kind in bin crlf; do
    expect_eq "notify: a $kind secret: the receiver verified the signature over its first line's bytes" \
      "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["sig"] for l in open(sys.argv[1])))' "$ND/$kind.log" 2>&1)" ok
    "$ESTFCGI" notify remove --url "http://127.0.0.1:${port[$kind]}/$kind" >/dev/null
    notify_receiver_stop "$kind"
  done
}

# Two deliverers at once (serve and a cron loop of run --once) against a slow receiver:
# the lease keeps one deliverer per receiver, so order holds and nothing is sent twice.
notify_two_deliverers() {
  notify_receiver_stop plain
  notify_receiver plain "$NRECV_PORT" --secret-file "$ND/secret" --delay 0.1
  local before i; before=$(received plain)
  for i in $(seq 1 15); do
    mkcsr nt-t$i ec-P-256 "/CN=nt-t$i/O=Example Devices"
    "$ESTFCGI" cert issue --profile factory --csr "$WORK/nt-t$i.csr" > /dev/null
  done
  notify_serve_start
  for i in $(seq 1 10); do "$ESTFCGI" notify run --once >/dev/null 2>&1; sleep 0.1; done
  wait_received plain $((before + 15)) 20 || true
  sleep 1
  expect_eq "notify: two deliverers: each event once, in order" "$(ids_of plain)" "$(outbox_ids 1)"
}

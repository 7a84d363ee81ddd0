# The FastCGI connection's end (sourced): once a request has ended (its body read to
# CONTENT_LENGTH and the empty FCGI_STDIN record seen), the responder closes without
# libfcgi's linger. Raw FastCGI clients send what no web server does; nginx and Apache
# carry bodies of every edge size, chunked, trickled, in bursts and in parallel; every
# answer must be whole and the web servers' error logs free of lost upstream answers.

# upstream_errors LOG [FROM]: the lines of a web server's error log, from line FROM on (the
# log is shared with the suites that ran before, whose refusals and timeouts are their own),
# that mean an answer was lost or cut on the web server's side (the client's connection is
# not counted).
upstream_errors() {
  tail -n +"${2:-1}" "$1" |
    grep -E 'upstream prematurely closed|\) while (reading (response header from )?upstream|sending request to upstream)|upstream timed out|AH01075|AH01068|AH01067|AH01070|AH01097' | head -3
}
# log_end LOG: the line after the log's last one (where this suite's lines begin).
log_end() { echo $(( $(wc -l < "$1" 2>/dev/null || echo 0) + 1 )); }

linger_raw() {
  local R="/usr/bin/python3 $HERE/fcgi_raw.py 127.0.0.1:$FCGI_PORT $WORK/boot.pem $WORK/lg.der" out
  out=$($R)
  expect_eq "linger: raw request in one write -> 200, a whole PKCS#7, closed at once" \
    "$(echo "$out" | awk 'NR==1 {print $1, $3, ($2 < 1)} NR==2 {print $1, ($2 < 1)}' | paste -sd' ')" "200 p7 1 eof 1"
  out=$($R --bytewise)
  expect_eq "linger: raw request one byte per write -> 200, whole" "$(echo "$out" | awk 'NR==1 {print $1, $3}')" "200 p7"
  # The stream's end is a record of its own: without it, or late, the answer must not wait
  # for it (nginx and Apache send it with the body's last bytes; a raw client need not).
  out=$($R --no-end)
  expect_eq "linger: body without the empty FCGI_STDIN record -> answered at once, not at --read-timeout" \
    "$(echo "$out" | awk 'NR==1 {print $1, $3, ($2 < 1)}')" "200 p7 1"
  out=$($R --late 2)
  expect_eq "linger: the empty FCGI_STDIN record 2 s late -> answered at once" \
    "$(echo "$out" | awk 'NR==1 {print $1, $3, ($2 < 1)}')" "200 p7 1"
  # A body that takes 2 s of the 3 s read timeout and no end: the answer is still due
  # within the read timeout (it waited up to another --read-timeout for the record).
  out=$($R --pace 0.004 --no-end)
  expect_eq "linger: slow body without its end -> answered within --read-timeout" \
    "$(echo "$out" | awk 'NR==1 {print $1, $3, ($2 < 3.5)}')" "200 p7 1"
  out=$($R --abort-after)
  expect_eq "linger: FCGI_ABORT_REQUEST after the body -> the answer still whole" "$(echo "$out" | awk 'NR==1 {print $1, $3}')" "200 p7"
  out=$($R --keep)
  expect_eq "linger: FCGI_KEEP_CONN, two requests on one connection -> both whole" \
    "$(echo "$out" | awk 'NR<=2 {print $1, $3}' | paste -sd' ')" "200 p7 200 p7"
  out=$($R --keep --no-end)
  expect_eq "linger: FCGI_KEEP_CONN, bodies without their ends -> both whole" \
    "$(echo "$out" | awk 'NR<=2 {print $1, $3}' | paste -sd' ')" "200 p7 200 p7"
  # FCGI_KEEP_CONN after a request refused before its body was read: what is left of its
  # FCGI_STDIN (more than libfcgi's 8 KiB buffer) is drained, so that the next request on
  # the connection is read from its FCGI_BEGIN_REQUEST and answered whole.
  head -c 60000 /dev/urandom > "$WORK/linger/60k.bin"
  out=$($R --keep --first-body "$WORK/linger/60k.bin" --first-type text/plain)
  expect_eq "linger: FCGI_KEEP_CONN, a 415 with 60 KB unread, then an enrollment -> 415, then 200 whole" \
    "$(echo "$out" | awk 'NR<=2 {print $1, $3}' | paste -sd' ')" "415 - 200 p7"
  # Past the drain's cap (a declared body over 64 KiB, refused 413 before it is read) the
  # connection is closed after the answer, never kept with the rest unread.
  head -c 200000 /dev/urandom > "$WORK/linger/200k.bin"
  out=$($R --keep --first-body "$WORK/linger/200k.bin")
  expect_eq "linger: FCGI_KEEP_CONN, a 413 with 200 KB unread -> 413, then the connection closed" \
    "$(echo "$out" | awk 'NR<=2 {print $1}' | paste -sd' ')" "413 closed"
  out=$($R --length 0)
  expect_eq "linger: CONTENT_LENGTH 0 with a body sent -> 400 with an answer" "$(echo "$out" | awk 'NR==1 {print $1}')" 400
  # A body that ends (the empty FCGI_STDIN record) short of its CONTENT_LENGTH: a 400
  # that says so, not a malformed CSR.
  local size; size=$(stat -c %s "$WORK/lg.der")
  out=$($R --length $((size + 100)) --reason)
  expect_eq "linger: a body ended short of CONTENT_LENGTH -> 400 saying so" \
    "$(echo "$out" | awk 'NR==1 {$2 = ""; $3 = ""; print}' | tr -s ' ')" "400 request body ended after $size of $((size + 100)) bytes"
  head -c 100 "$WORK/lg.der" > "$WORK/linger/cut.der"
  out=$(/usr/bin/python3 "$HERE/fcgi_raw.py" "127.0.0.1:$FCGI_PORT" "$WORK/boot.pem" "$WORK/linger/cut.der" --length "$size" --reason)
  expect_eq "linger: a CSR cut after 100 bytes, the stream ended -> 400 saying so" \
    "$(echo "$out" | awk 'NR==1 {$2 = ""; $3 = ""; print}' | tr -s ' ')" "400 request body ended after 100 of $size bytes"
  check "linger: ... logged with that reason" grep -q "status=400 reason=\"request body ended after $size of $((size + 100)) bytes\"" "$WORK/nginx/estfcgi.log"
  out=$($R --length 100000 --no-end)
  expect_eq "linger: CONTENT_LENGTH over the cap -> 413 at once" "$(echo "$out" | awk 'NR==1 {print $1, ($2 < 1)}')" "413 1"
  est GET /.well-known/est/cacerts
  expect_eq "linger: serve still answers after the raw clients" "$STATUS" 200
}

# linger_nginx_start NAME PORT-VAR LOCATION-LINES [HTTP-LINES]: a private nginx in
# $WORK/linger/NAME on a free port (stored in PORT-VAR) in front of the responder, with
# LOCATION-LINES in its EST location (which passes to FastCGI) and HTTP-LINES beside the server.
linger_nginx_start() {
  local dir=$WORK/linger/$1 port
  port=$(free_port); printf -v "$2" %s "$port"
  mkdir -p "$dir/tmp"
  { nginx_http_head "$dir"; cat <<CONF
    ${4:-}
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $WORK/server.pem;
        ssl_certificate_key $WORK/server.key;
        ssl_verify_client optional_no_ca;
        client_max_body_size 1m;
        location /.well-known/est/ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SSL_CLIENT_CERT \$ssl_client_escaped_cert;
            $3
        }
    }
}
CONF
  } > "$dir/nginx.conf"
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" && wait_port "$port"
}

linger_nginx_stop() {
  local dir=$WORK/linger/$1
  [ -f "$dir/nginx.pid" ] && nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s stop 2>/dev/null
}

# A private nginx that streams bodies to the responder (fastcgi_request_buffering off).
linger_stream_nginx_start() {
  linger_nginx_start nginx STREAM_PORT "fastcgi_request_buffering off; fastcgi_pass 127.0.0.1:$FCGI_PORT;"
}
linger_stream_nginx_stop() { linger_nginx_stop nginx; }

# A private nginx that keeps its FastCGI connections (fastcgi_keep_conn on, an upstream
# keepalive of 1: one connection, so every request after the first arrives on a kept one).
linger_keep_nginx_start() {
  linger_nginx_start nginx-keep KEEP_PORT "client_body_buffer_size 1m; fastcgi_keep_conn on; fastcgi_pass estfcgi_kept;" \
    "upstream estfcgi_kept { server 127.0.0.1:$FCGI_PORT; keepalive 1; }"
}
linger_keep_nginx_stop() { linger_nginx_stop nginx-keep; }

# Through the keeping nginx: requests refused before their bodies were read (415 with 60 KB,
# 401 with 60 KB), each followed by an enrollment on the kept connection; every one answered
# as it should be, and no lost upstream answer in nginx's error log.
linger_kept() {
  local i codes=""
  for i in 1 2 3 4 5; do
    post /.well-known/est/simpleenroll "$WORK/linger/60k.bin" boot boot text/plain; codes="$codes $STATUS"
    post /.well-known/est/simpleenroll "$WORK/lg.der" boot boot; codes="$codes $STATUS"
    est POST /.well-known/est/simpleenroll -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/linger/60k.bin"; codes="$codes $STATUS"
    est GET /.well-known/est/cacerts; codes="$codes $STATUS"
  done
  expect_eq "linger: nginx-keep-conn: refusals with unread 60 KB bodies, each followed by a request on the kept connection" \
    "$codes" "$(for i in 1 2 3 4 5; do printf ' 415 200 401 200'; done)"
}

# linger_sizes FRONT: bodies of 0, 1, the cap and the cap + 1 bytes through $BASE.
linger_sizes() {
  local d=$WORK/linger n
  head -c 65536 /dev/urandom > "$d/cap.bin"; head -c 65537 /dev/urandom > "$d/cap1.bin"
  printf 'x' > "$d/one.bin"; : > "$d/zero.bin"
  for n in zero:400 one:400 cap:400 cap1:413; do
    post /.well-known/est/simpleenroll "$d/${n%:*}.bin" boot boot
    expect_eq "linger: $1: a ${n%:*} body -> ${n#*:} with a reason" "$STATUS $(test -s "$WORK/resp.body" && echo reason)" "${n#*:} reason"
  done
  post /.well-known/est/simpleenroll "$WORK/lg.der" boot boot
  expect_eq "linger: $1: an enrollment -> 200" "$STATUS" 200
  est POST /.well-known/est/simpleenroll --cert "$WORK/boot.pem" --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' \
    -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/lg.der"
  expect_eq "linger: $1: a chunked enrollment -> 200" "$STATUS" 200
  est POST /.well-known/est/simpleenroll -H 'Content-Type: application/pkcs10' --data-binary "@$d/cap1.bin"
  expect_eq "linger: $1: anonymous 64 KiB+1 -> refused (401 or 413)" "$(case $STATUS in 401|413) echo refused ;; *) echo "$STATUS" ;; esac)" refused
  est POST /.well-known/est/nosuchlabel/simpleenroll --cert "$WORK/boot.pem" --key "$WORK/boot.key" \
    -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/lg.der"
  expect_eq "linger: $1: unknown label -> 404" "$STATUS" 404
  est POST /.well-known/est/simpleenroll --cert "$WORK/boot.pem" --key "$WORK/boot.key" \
    -H 'Content-Type: text/plain' --data-binary "@$d/cap.bin"
  expect_eq "linger: $1: wrong media type with a 64 KiB body -> 415" "$STATUS" 415
  expect_eq "linger: $1: HEAD /cacerts -> 200" \
    "$(curl -sS --max-time 20 -I -o /dev/null -w '%{http_code}' --cacert "$WORK/tls-ca.pem" "$BASE/.well-known/est/cacerts" 2>&1)" 200
  est GET /.well-known/est/cacerts --data-binary "@$WORK/lg.der" -H 'Content-Type: application/pkcs10'
  expect_eq "linger: $1: GET /cacerts with a body -> 200" "$STATUS" 200
}

# linger_parallel FRONT N: N enrollments at once through $BASE, each answer a whole PKCS#7.
linger_parallel() {
  local d=$WORK/linger/par-$1 i pids=()
  mkdir -p "$d"
  for i in $(seq "$2"); do
    curl -sS --max-time 60 -o "$d/$i.b64" -w '%{http_code}\n' --cacert "$WORK/tls-ca.pem" --cert "$WORK/boot.pem" \
      --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/lg.der" \
      "$BASE/.well-known/est/simpleenroll" > "$d/$i.code" 2>/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}"
  local whole=0
  for i in $(seq "$2"); do
    [ "$(cat "$d/$i.code")" = 200 ] && base64 -d < "$d/$i.b64" 2>/dev/null | openssl pkcs7 -inform DER -noout 2>/dev/null && whole=$((whole + 1))
  done
  expect_eq "linger: $1: $2 parallel enrollments, every answer a whole PKCS#7" "$whole" "$2"
}

suite_linger() {
  SUITE=linger
  mkdir -p "$WORK/linger"
  if ! nginx_start; then not_ok "linger: front and responder start"; nginx_stop; return; fi
  local nginx_from; nginx_from=$(log_end "$WORK/nginx/error.log")
  BASE=https://127.0.0.1:$NGINX_PORT
  mkcsr lg ec-P-256 "/CN=lg/O=Example Devices"
  linger_raw

  linger_sizes nginx
  linger_parallel nginx 64
  local out
  out=$(/usr/bin/python3 "$HERE/keepalive_burst.py" 127.0.0.1 "$NGINX_PORT" /.well-known/est/cacerts 2000 "$WORK/tls-ca.pem" \
    --cert "$WORK/boot.pem" --key "$WORK/boot.key" --post /.well-known/est/simpleenroll "$WORK/lg.der")
  expect_eq "linger: nginx: 2,000 kept-alive requests (half enrollments), all whole" "${out% *}" 2000

  if linger_stream_nginx_start; then
    BASE=https://127.0.0.1:$STREAM_PORT
    linger_sizes nginx-streaming
    linger_parallel nginx-streaming 16
    # One byte a second, streamed to the responder: cut off at its --read-timeout (3 s).
    out=$(/usr/bin/python3 "$HERE/https_trickle.py" 127.0.0.1 "$STREAM_PORT" /.well-known/est/simpleenroll \
      --interval 1 --duration 8 --cert "$WORK/boot.pem" --key "$WORK/boot.key")
    expect_eq "linger: nginx-streaming: a body trickled past --read-timeout -> 408 in 3-5 s" \
      "$(echo "$out" | awk '{print $1, ($2 >= 3 && $2 < 5.5)}')" "408 1"
    # A client that goes away mid-body: nginx closes the FastCGI connection, and the
    # responder ends that request at once (logged) rather than at --read-timeout.
    local lines; lines=$(grep -c ' op=simpleenroll ' "$WORK/nginx/estfcgi.log")
    /usr/bin/python3 "$HERE/https_trickle.py" 127.0.0.1 "$STREAM_PORT" /.well-known/est/simpleenroll \
      --interval 0.5 --duration 1.2 --cert "$WORK/boot.pem" --key "$WORK/boot.key" >/dev/null
    sleep 1
    expect_eq "linger: nginx-streaming: a client gone mid-body ends its request within 1 s" \
      "$(grep ' op=simpleenroll ' "$WORK/nginx/estfcgi.log" | tail -n +$((lines + 1)) | grep -c 'status=4')" 1
    linger_stream_nginx_stop
    expect_eq "linger: nginx-streaming: no lost upstream answer in the error log" "$(upstream_errors "$WORK/linger/nginx/error.log")" ""
  else
    not_ok "linger: streaming nginx starts"
  fi
  if linger_keep_nginx_start; then
    BASE=https://127.0.0.1:$KEEP_PORT
    linger_kept
    linger_sizes nginx-keep-conn
    linger_keep_nginx_stop
    expect_eq "linger: nginx-keep-conn: no lost upstream answer in the error log" "$(upstream_errors "$WORK/linger/nginx-keep/error.log")" ""
  else
    not_ok "linger: keep-conn nginx starts"
  fi
  expect_eq "linger: nginx: no lost upstream answer in the error log" "$(upstream_errors "$WORK/nginx/error.log" "$nginx_from")" ""
  nginx_stop

  if ! apache_start; then not_ok "linger: apache starts"; apache_stop; return; fi
  local apache_from; apache_from=$(log_end "$WORK/apache/error.log")
  BASE=https://127.0.0.1:$APACHE_PROXY_PORT
  linger_sizes apache-proxy_fcgi
  linger_parallel apache-proxy_fcgi 32
  out=$(/usr/bin/python3 "$HERE/keepalive_burst.py" 127.0.0.1 "$APACHE_PROXY_PORT" /.well-known/est/cacerts 500 "$WORK/tls-ca.pem" \
    --cert "$WORK/boot.pem" --key "$WORK/boot.key" --post /.well-known/est/simpleenroll "$WORK/lg.der")
  expect_eq "linger: apache-proxy_fcgi: 500 kept-alive requests (half enrollments), all whole" "${out% *}" 500
  BASE=https://127.0.0.1:$APACHE_FCGID_PORT
  linger_sizes apache-fcgid
  linger_parallel apache-fcgid 8
  expect_eq "linger: apache: no lost upstream answer in the error log" "$(upstream_errors "$WORK/apache/error.log" "$apache_from")" ""
  apache_stop
}

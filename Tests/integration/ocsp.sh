# OCSP responder (RFC 6960, RFC 5019): `openssl ocsp` and curl as clients, through the
# shipped nginx config (its /ocsp location), then Apache and CGI (sourced; needs lib.sh,
# scenarios.sh, nginx.sh, apache.sh, cgi.sh).

# ocsp_ask NAME ARGS...: `openssl ocsp` against $OCSP_URL, every answer verified against the
# CA in the store; the -resp_text output in $WORK/ocsp-NAME.txt, the response in .der.
ocsp_ask() {
  local name=$1; shift
  openssl ocsp -url "$OCSP_URL" -CAfile "$WORK/ocsp-factory.pem" -resp_text -respout "$WORK/ocsp-$name.der" "$@" \
    > "$WORK/ocsp-$name.txt" 2>&1
}
ocsp_out() { cat "$WORK/ocsp-$1.txt"; }

# ocsp_post FILE: POST FILE to $OCSP_URL with curl (as est() does): STATUS, resp.body, resp.headers.
ocsp_post() {
  STATUS=$(curl -sS --max-time 20 -o "$WORK/resp.body" -D "$WORK/resp.headers" -w '%{http_code}' --cacert "$WORK/tls-ca.pem" \
    -H 'Content-Type: application/ocsp-request' --data-binary "@$1" "$OCSP_URL" 2>"$WORK/curl.err") || STATUS=curl-failed
}
ocsp_get() {
  STATUS=$(curl -sS --max-time 20 -o "$WORK/resp.body" -D "$WORK/resp.headers" -w '%{http_code}' --cacert "$WORK/tls-ca.pem" \
    --path-as-is "$1" 2>"$WORK/curl.err") || STATUS=curl-failed
}

# ocsp_check_resp REQ: $WORK/resp.body checked against the request REQ by openssl (signature
# and nonce): the one certificate's status, or what openssl said.
ocsp_check_resp() {
  local out; out=$(openssl ocsp -respin "$WORK/resp.body" -reqin "$1" -CAfile "$WORK/ocsp-factory.pem" -resp_text 2>&1)
  case $out in
    *"Nonce Verify error"*|*"no nonce"*) echo "nonce not matched" ;;
    *"Response verify OK"*) printf '%s\n' "$out" | grep -m1 'Cert Status:' | sed 's/.*Cert Status: //' ;;
    *) printf '%s\n' "$out" | head -3 ;;
  esac
}

# A new certificate of CA factory, issued by the CLI (another process than the responder).
ocsp_new_cert() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1/O=Example Devices" \
    -keyout "$WORK/$1.key" -out "$WORK/$1.csr" 2>/dev/null
  "$ESTFCGI" cert issue --profile factory --csr "$WORK/$1.csr" > "$WORK/$1.pem"
}

# ocsp_front PREFIX: what every front must carry: good, revoked, GET with '//' and '+'.
ocsp_front() {
  local p=$1
  ocsp_ask "$p-good" -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/boot.pem"
  expect_contains "$p: good certificate -> good" "$(ocsp_out "$p-good")" "boot.pem: good"
  expect_contains "$p: ... signature verified by openssl" "$(ocsp_out "$p-good")" "Response verify OK"
  ocsp_ask "$p-revoked" -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/boot-revoked.pem"
  expect_contains "$p: revoked certificate -> revoked" "$(ocsp_out "$p-revoked")" "boot-revoked.pem: revoked"
  expect_contains "$p: ... with its reason" "$(ocsp_out "$p-revoked")" "Reason: keyCompromise"
  # GET (RFC 6960 Appendix A.1): a request whose base64 holds '//' and '+', sent both raw
  # (nginx merges '//' in its decoded URI) and percent-encoded.
  # The nonce is the request's last 16 bytes (04 10 + value): it is set to ones (base64 '/')
  # then FB EF BE (base64 '+' when on a 3-byte boundary), shifted by 0-2 bytes until aligned.
  # A random search missed about once in a hundred runs.
  local b64 k len
  openssl ocsp -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/boot.pem" -reqout "$WORK/ocsp-rand.der" 2>/dev/null
  len=$(stat -c %s "$WORK/ocsp-rand.der")
  for k in 0 1 2; do
    { head -c $((len - 16)) "$WORK/ocsp-rand.der"; head -c "$k" /dev/zero
      printf '\377\377\377\377\373\357\276\373\357\276\373\357\276'; head -c $((3 - k)) /dev/zero; } > "$WORK/ocsp-get.der"
    b64=$(base64 -w0 "$WORK/ocsp-get.der")
    case $b64 in *//*+*) break ;; esac
  done
  expect_contains "$p: (a request whose base64 has // and +)" "$b64" "//"
  ocsp_get "$OCSP_URL/$b64"
  expect_eq "$p: GET with raw '//' and '+' -> 200 application/ocsp-response" "$STATUS $(header Content-Type)" "200 application/ocsp-response"
  expect_eq "$p: ... good, verified, nonce matched" "$(ocsp_check_resp "$WORK/ocsp-get.der")" "good"
  local enc; enc=$(printf %s "$b64" | sed -e 's#/#%2F#g' -e 's#+#%2B#g' -e 's#=#%3D#g')
  ocsp_get "$OCSP_URL/$enc"
  expect_eq "$p: GET percent-encoded -> good, verified, nonce matched" "$STATUS $(ocsp_check_resp "$WORK/ocsp-get.der")" "200 good"
  expect_eq "$p: ... nonced: no cache headers" "$(header Cache-Control)" ""
}

# The checks made through nginx: the full set.
ocsp_nginx_checks() {
  local p=nginx-ocsp out
  ocsp_ask unknown -issuer "$WORK/ocsp-factory.pem" -serial 0x0123456789abcdef
  expect_contains "$p: a serial the CA never issued -> unknown" "$(ocsp_out unknown)" "0x0123456789abcdef: unknown"
  ocsp_ask rogue -issuer "$WORK/rogue.pem" -cert "$WORK/rogue.pem"
  expect_contains "$p: an issuer not in the store -> unauthorized (RFC 5019 §2.2.3)" "$(ocsp_out rogue)" "unauthorized (6)"
  ocsp_ask mixed -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/boot.pem" -issuer "$WORK/rogue.pem" -cert "$WORK/rogue.pem"
  expect_contains "$p: a request naming a CA not in the store beside one in it -> unauthorized" "$(ocsp_out mixed)" "unauthorized (6)"
  # Nonce (RFC 9654): echoed; caching headers only without one (RFC 5019 §6).
  openssl ocsp -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/boot.pem" -reqout "$WORK/ocsp-n.der" 2>/dev/null
  ocsp_post "$WORK/ocsp-n.der"
  expect_eq "$p: POST with a nonce -> 200, no Cache-Control" "$STATUS:$(header Cache-Control)" "200:"
  expect_eq "$p: ... its nonce echoed (openssl checks it)" "$(ocsp_check_resp "$WORK/ocsp-n.der")" "good"
  openssl ocsp -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/boot.pem" -no_nonce -reqout "$WORK/ocsp-nn.der" 2>/dev/null
  ocsp_post "$WORK/ocsp-nn.der"
  expect_contains "$p: POST without a nonce -> Cache-Control max-age" "$STATUS $(header Cache-Control)" "200 max-age="
  expect_contains "$p: ... public, no-transform, must-revalidate" "$(header Cache-Control)" "public, no-transform, must-revalidate"
  check "$p: ... ETag and Last-Modified" test -n "$(header ETag)" -a -n "$(header Last-Modified)"
  cp "$WORK/resp.body" "$WORK/ocsp-nn-1.der"
  ocsp_post "$WORK/ocsp-nn.der"
  check "$p: ... the same request again is answered with the same signed bytes (re-used)" cmp -s "$WORK/resp.body" "$WORK/ocsp-nn-1.der"
  ocsp_ask nonce-out -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/boot.pem" -no_nonce
  expect_contains "$p: openssl -no_nonce -> good" "$(ocsp_out nonce-out)" "boot.pem: good"
  # Malformed bodies: HTTP 200 with malformedRequest (RFC 6960 §2.3), and HTTP errors for
  # what is not OCSP at all.
  printf 'garbage' > "$WORK/ocsp-garbage"
  ocsp_post "$WORK/ocsp-garbage"
  expect_eq "$p: a malformed body -> 200 malformedRequest (30 03 0a 01 01)" "$STATUS $(od -An -tx1 "$WORK/resp.body" | tr -d ' \n')" "200 30030a0101"
  STATUS=$(curl -sS -o "$WORK/resp.body" -w '%{http_code}' --cacert "$WORK/tls-ca.pem" -H 'Content-Type: text/plain' \
    --data-binary "@$WORK/ocsp-nn.der" "$OCSP_URL")
  expect_eq "$p: wrong media type -> 415" "$STATUS" 415
  STATUS=$(curl -sS -o "$WORK/resp.body" -D "$WORK/resp.headers" -w '%{http_code}' --cacert "$WORK/tls-ca.pem" "$OCSP_URL")
  expect_eq "$p: GET without a request -> 405 Allow: POST" "$STATUS $(header Allow)" "405 POST"
  ocsp_get "$OCSP_URL/not*base64!"
  expect_eq "$p: GET of what is not base64 -> 200 malformedRequest" "$STATUS $(od -An -tx1 "$WORK/resp.body" | tr -d ' \n')" "200 30030a0101"
  # 100 certificates in one request: over the bound (16), a clear malformedRequest.
  local args=() i
  for i in $(seq 1 100); do args+=(-serial "$i"); done
  ocsp_ask hundred -issuer "$WORK/ocsp-factory.pem" "${args[@]}"
  expect_contains "$p: 100 CertIDs in one request -> malformedRequest" "$(ocsp_out hundred)" "malformedrequest (1)"
  sleep 0.3
  expect_contains "$p: ... the log says why" "$(cat "$WORK/nginx/estfcgi.log" "$WORK/nginx/error.log" | tail -50)" "100 certificates (at most 16)"
  # Revocation by the CLI (another process) is in the very next answer, cached or not.
  ocsp_new_cert ocsp-leaf
  ocsp_ask leaf1 -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/ocsp-leaf.pem" -no_nonce
  expect_contains "$p: a new certificate -> good" "$(ocsp_out leaf1)" "ocsp-leaf.pem: good"
  "$ESTFCGI" cert revoke "$(openssl x509 -in "$WORK/ocsp-leaf.pem" -noout -serial | cut -d= -f2)" --reason cessationOfOperation >/dev/null
  ocsp_ask leaf2 -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/ocsp-leaf.pem" -no_nonce
  expect_contains "$p: revoked by the CLI -> revoked in the next answer" "$(ocsp_out leaf2)" "ocsp-leaf.pem: revoked"
  expect_contains "$p: ... reason cessationOfOperation" "$(ocsp_out leaf2)" "Reason: cessationOfOperation"
  # Rotation: the next answer is signed by the new delegated responder.
  local serial
  serial=$("$ESTFCGI" ca ocsp-signer --name factory --days 7 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
  ocsp_ask rotated -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/boot.pem" -no_nonce
  expect_contains "$p: after ca ocsp-signer -> good, verified" "$(ocsp_out rotated)" "Response verify OK"
  expect_contains "$p: ... signed by the new responder certificate" \
    "$(openssl ocsp -respin "$WORK/ocsp-rotated.der" -resp_text -noverify 2>&1 | tr -d ':' | tr 'A-F' 'a-f' | tr -d ' \n')" "$serial"
  expect_contains "$p: the responder certificate has OCSPSigning and ocsp-nocheck" \
    "$("$ESTFCGI" ca ocsp-signer --name factory | openssl x509 -noout -text)" "OCSP No Check"
  # The CA itself, when the operator chooses it.
  "$ESTFCGI" ca ocsp-signer --name factory --direct >/dev/null
  ocsp_ask direct -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/boot.pem"
  expect_contains "$p: --direct: signed by the CA, verified" "$(ocsp_out direct)" "Response verify OK"
  "$ESTFCGI" ca ocsp-signer --name factory --ocsp-validity 2 >/dev/null
  ocsp_ask hours -issuer "$WORK/ocsp-factory.pem" -cert "$WORK/boot.pem" -no_nonce
  local this next
  this=$(grep -m1 'This Update' "$WORK/ocsp-hours.txt" | sed 's/.*Update: //'); next=$(grep -m1 'Next Update' "$WORK/ocsp-hours.txt" | sed 's/.*Update: //')
  expect_eq "$p: --ocsp-validity 2 -> nextUpdate 2 hours after thisUpdate" "$(( $(date -d "$next" +%s) - $(date -d "$this" +%s) ))" 7200
  # Metrics count answers by OCSP status.
  out=$(curl -sS --cacert "$WORK/tls-ca.pem" "https://127.0.0.1:$NGINX_PORT/.well-known/est/.metrics")
  expect_contains "$p: metrics count OCSP answers by response status" "$out" 'estfcgi_ocsp_responses_total{status="unauthorized"}'
}

# profile --ocsp-url puts authorityInfoAccess id-ad-ocsp in issued certificates.
ocsp_profile_url() {
  local out rc=0
  "$ESTFCGI" profile create --profile ocsp-aia --issuer factory --ocsp-url http://ocsp.example.com/ocsp >/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=aia-1" -keyout "$WORK/aia.key" -out "$WORK/aia.csr" 2>/dev/null
  "$ESTFCGI" cert issue --profile ocsp-aia --csr "$WORK/aia.csr" > "$WORK/aia.pem"
  expect_contains "ocsp: --ocsp-url -> AIA OCSP URI in issued certificates" "$(openssl x509 -in "$WORK/aia.pem" -noout -ocsp_uri)" "http://ocsp.example.com/ocsp"
  out=$("$ESTFCGI" profile update --profile ocsp-aia --ocsp-url 'ldap://x/y' 2>&1) || rc=$?
  expect_contains "ocsp: --ocsp-url ldap:// refused" "$rc $out" "1 "
  "$ESTFCGI" profile update --profile ocsp-aia --ocsp-url '' >/dev/null
  "$ESTFCGI" cert issue --profile ocsp-aia --csr "$WORK/aia.csr" > "$WORK/aia2.pem"
  expect_eq "ocsp: --ocsp-url '' clears it" "$(openssl x509 -in "$WORK/aia2.pem" -noout -ocsp_uri)" ""
  rc=0; out=$("$ESTFCGI" profile create --profile ocsp 2>&1 --issuer factory) || rc=$?
  expect_contains "ocsp: 'ocsp' is a reserved profile label" "$rc $out" "reserved"
}

# A CA without a signer, and CGI, which never issues one: tryLater with the fix in the log.
ocsp_cgi_checks() {
  "$ESTFCGI" ca create --name ocsp-nosigner --subject 'CN=OCSP No Signer CA' --days 30 >/dev/null
  "$ESTFCGI" ca export --name ocsp-nosigner > "$WORK/ocsp-nosigner.pem"
  openssl ocsp -issuer "$WORK/ocsp-nosigner.pem" -serial 7 -no_nonce -reqout "$WORK/cgi-in" 2>/dev/null
  cgi_by_hand REQUEST_METHOD=POST PATH_INFO=/ocsp CONTENT_TYPE=application/ocsp-request CONTENT_LENGTH="$(stat -c %s "$WORK/cgi-in")" \
    ESTFCGI_DB="$ESTFCGI_DB" ESTFCGI_KEY_PASSPHRASE_FILE="$ESTFCGI_KEY_PASSPHRASE_FILE"
  cgi_split
  expect_eq "cgi-ocsp: a CA without a signer -> 200 tryLater (30 03 0a 01 03)" \
    "$(head -1 "$WORK/cgi-head") $(od -An -tx1 "$WORK/cgi-body" | tr -d ' \n')" "Status: 200 OK 30030a0103"
  expect_contains "cgi-ocsp: ... the log line says what to run" "$(cat "$WORK/cgi-err")" "run estfcgi ca ocsp-signer --name ocsp-nosigner"
  expect_eq "cgi-ocsp: ... and CGI issued none" "$(sqlite3 "$ESTFCGI_DB" "SELECT count(*) FROM ocsp_signers o JOIN cas c ON c.id = o.ca_id WHERE c.name = 'ocsp-nosigner'")" 0
  "$ESTFCGI" ca ocsp-signer --name ocsp-nosigner >/dev/null
  cgi_by_hand REQUEST_METHOD=POST PATH_INFO=/ocsp CONTENT_TYPE=application/ocsp-request CONTENT_LENGTH="$(stat -c %s "$WORK/cgi-in")" \
    ESTFCGI_DB="$ESTFCGI_DB" ESTFCGI_KEY_PASSPHRASE_FILE="$ESTFCGI_KEY_PASSPHRASE_FILE"
  cgi_split
  cp "$WORK/cgi-body" "$WORK/resp.body"
  expect_contains "cgi-ocsp: after ca ocsp-signer -> unknown, verified" \
    "$(openssl ocsp -respin "$WORK/resp.body" -CAfile "$WORK/ocsp-nosigner.pem" -resp_text 2>&1)" "Cert Status: unknown"
}

suite_ocsp() {
  SUITE=ocsp
  "$ESTFCGI" ca export --name factory > "$WORK/ocsp-factory.pem"
  ocsp_profile_url
  # Earlier suites' responders issued signers already: this one must issue factory's anew.
  sqlite3 "$ESTFCGI_DB" "DELETE FROM ocsp_signers WHERE ca_id = (SELECT id FROM cas WHERE name = 'factory')"
  if ! nginx_start; then not_ok "ocsp: nginx front and responder start"; nginx_stop; return; fi
  ok "ocsp: nginx front and responder start"
  # serve makes the signers once its socket listens: wait for the line.
  local i; for i in $(seq 150); do grep -q "issued the OCSP signer of CA 'factory'" "$WORK/nginx/estfcgi.log" && break; sleep 0.1; done
  expect_contains "ocsp: serve issued a signer for each CA with a key at start" "$(cat "$WORK/nginx/estfcgi.log")" "issued the OCSP signer of CA 'factory'"
  BASE=https://127.0.0.1:$NGINX_PORT
  OCSP_URL=$BASE/ocsp
  local audited; audited=$(audit_count)
  ocsp_front nginx-ocsp
  expect_eq "ocsp: OCSP requests write nothing to the store (no audit row)" "$(audit_count)" "$audited"
  ocsp_nginx_checks
  OCSP_URL=$BASE/.well-known/est/ocsp
  ocsp_front nginx-wellknown
  local doctor_out; doctor_out=$("$ESTFCGI" doctor --nginx-conf "$WORK/nginx/estfcgi.conf" 2>&1)
  expect_eq "ocsp: doctor finds no FAIL in the shipped nginx config with its /ocsp location" "$(printf '%s\n' "$doctor_out" | grep '^FAIL')" ""
  nginx_stop
  # A store whose profile took the label 'ocsp' before it was reserved: doctor says so.
  cp "$ESTFCGI_DB" "$WORK/ocsp-label.db"
  sqlite3 "$WORK/ocsp-label.db" "UPDATE profiles SET label = 'ocsp' WHERE label = 'strict'"
  doctor_out=$("$ESTFCGI" doctor --db "$WORK/ocsp-label.db" 2>&1)
  expect_contains "ocsp: doctor flags a profile labelled 'ocsp'" "$doctor_out" "FAIL  profile ocsp  label 'ocsp' is reserved or invalid now"

  ocsp_cgi_checks
  # Apache (mod_proxy_fcgi): the shipped /ocsp Location and /.well-known/est/ocsp.
  if apache_start; then
    OCSP_URL=https://127.0.0.1:$APACHE_PROXY_PORT/ocsp
    ocsp_front apache-ocsp
    OCSP_URL=https://127.0.0.1:$APACHE_PROXY_PORT/.well-known/est/ocsp
    ocsp_front apache-wellknown
    OCSP_URL=https://127.0.0.1:$APACHE_FCGID_PORT/.well-known/est/ocsp
    ocsp_front apache-fcgid
  else
    not_ok "ocsp: apache front starts"
  fi
  apache_stop
  # CGI under Apache's mod_cgid (the shipped estfcgi-cgi.conf): each answer a process.
  if cgi_apache_start; then
    OCSP_URL=https://127.0.0.1:$CGI_APACHE_PORT/.well-known/est/ocsp
    ocsp_front cgi-apache
  else
    not_ok "ocsp: CGI apache front starts"
  fi
  cgi_apache_stop
  # CGI under nginx and fcgiwrap (the shipped estfcgi-fcgiwrap.conf).
  if cgi_nginx_start; then
    OCSP_URL=https://127.0.0.1:$CGI_NGINX_PORT/.well-known/est/ocsp
    ocsp_front cgi-nginx
  else
    not_ok "ocsp: CGI nginx front starts"
  fi
  cgi_nginx_stop
}

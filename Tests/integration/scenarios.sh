# Device scenarios shared by every web-server front (sourced). Needs: $BASE (https URL of
# the front), $WORK (from pki.sh), $SUITE (a name prefix), lib.sh loaded.

# est METHOD PATH [curl args...]: sets STATUS; body in $WORK/resp.body, headers in $WORK/resp.headers.
est() {
  local method=$1 path=$2; shift 2
  STATUS=$(curl -sS --max-time 20 -o "$WORK/resp.body" -D "$WORK/resp.headers" -w '%{http_code}' \
    --cacert "$WORK/tls-ca.pem" -X "$method" "$@" "$BASE$path" 2>"$WORK/curl.err") || STATUS="curl-failed:$(cat "$WORK/curl.err")"
}
# header NAME: the value of response header NAME (exact-case name match, as libest does).
header() { grep -m1 "^$1: " "$WORK/resp.headers" | sed "s/^$1: //" | tr -d '\r'; }
# mkcsr NAME KEYSPEC SUBJ [SAN]: key $WORK/NAME.key, CSR $WORK/NAME.csr (PEM) and NAME.der.
mkcsr() {
  local name=$1 spec=$2 subj=$3 san=${4:-}
  local keyopt=(-newkey "$spec")
  case $spec in ec-*) keyopt=(-newkey ec -pkeyopt "ec_paramgen_curve:${spec#ec-}") ;; esac
  openssl req -new "${keyopt[@]}" -nodes -subj "$subj" ${san:+-addext "subjectAltName=$san"} \
    -keyout "$WORK/$name.key" -out "$WORK/$name.csr" 2>/dev/null
  openssl req -in "$WORK/$name.csr" -outform DER -out "$WORK/$name.der"
}
# p7certs FILE OUT: the certificates of a base64 certs-only PKCS#7 body, as PEM.
p7certs() { base64 -d < "$1" > "$2.p7" && openssl pkcs7 -inform DER -in "$2.p7" -print_certs -out "$2"; }
issued_count() { "$ESTFCGI" cert list | wc -l; }
audit_count() { sqlite3 "$ESTFCGI_DB" 'SELECT count(*) FROM audit'; }
# enroll OP PATH_PREFIX CSRNAME BODYFILE TLSCERT TLSKEY [CONTENT-TYPE]
post() {
  local path=$1 body=$2 cert=$3 key=$4 ctype=${5:-application/pkcs10}
  local tls=()
  [ -n "$cert" ] && tls=(--cert "$WORK/$cert.pem" --key "$WORK/$key.key")
  est POST "$path" "${tls[@]}" -H "Content-Type: $ctype" --data-binary "@$body"
}

scenario_cacerts() {
  est GET /.well-known/est/cacerts
  expect_eq "$SUITE: cacerts default -> 200" "$STATUS" 200
  expect_eq "$SUITE: cacerts Content-Type" "$(header Content-Type)" "application/pkcs7-mime"
  expect_eq "$SUITE: cacerts Content-Transfer-Encoding" "$(header Content-Transfer-Encoding)" "base64"
  expect_eq "$SUITE: cacerts Content-Length matches body" "$(header Content-Length)" "$(stat -c %s "$WORK/resp.body")"
  expect_eq "$SUITE: cacerts base64 wrapped at 64 columns" "$(awk '{ if (length($0) > 64) n++ } END { print n+0 }' "$WORK/resp.body")" 0
  p7certs "$WORK/resp.body" "$WORK/cacerts.pem"
  local subjects; subjects=$(openssl crl2pkcs7 -nocrl -certfile "$WORK/cacerts.pem" | openssl pkcs7 -print_certs -noout 2>/dev/null)
  expect_contains "$SUITE: default cacerts hold the issuing CA" "$subjects" "estfcgi Demo Issuing CA"
  expect_contains "$SUITE: default cacerts hold the root" "$subjects" "estfcgi Demo Root"

  est GET /.well-known/est/iot/cacerts
  expect_eq "$SUITE: cacerts labelled -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/cacerts-iot.pem"
  expect_eq "$SUITE: labelled cacerts = its configured set (2 certs)" "$(grep -c 'BEGIN CERTIFICATE' "$WORK/cacerts-iot.pem")" 2

  est GET /.well-known/est/nosuchlabel/cacerts
  expect_eq "$SUITE: cacerts unknown label -> 404" "$STATUS" 404
}

scenario_enroll_encodings() {
  local enc before; before=$(issued_count)
  for enc in b64wrapped b64oneline b64crlf der pem; do
    mkcsr "dev-$enc" ec-P-256 "/CN=dev-$enc/O=Example Devices" "DNS:dev-$enc.example"
    case $enc in
      b64wrapped) openssl base64 -in "$WORK/dev-$enc.der" > "$WORK/body" ;;
      b64oneline) openssl base64 -A -in "$WORK/dev-$enc.der" > "$WORK/body" ;;
      b64crlf)    openssl base64 -in "$WORK/dev-$enc.der" | sed 's/$/\r/' > "$WORK/body" ;;
      der)        cp "$WORK/dev-$enc.der" "$WORK/body" ;;
      pem)        cp "$WORK/dev-$enc.csr" "$WORK/body" ;;
    esac
    post /.well-known/est/simpleenroll "$WORK/body" boot boot
    expect_eq "$SUITE: simpleenroll ($enc body) -> 200" "$STATUS" 200
    expect_eq "$SUITE: simpleenroll ($enc) media type" "$(header Content-Type)" "application/pkcs7-mime; smime-type=certs-only"
    p7certs "$WORK/resp.body" "$WORK/dev-$enc.pem"
    check "$SUITE: issued certificate ($enc) verifies to the root via /cacerts" \
      openssl verify -CAfile "$WORK/root-only.pem" -untrusted "$WORK/cacerts.pem" "$WORK/dev-$enc.pem"
    expect_contains "$SUITE: issued subject ($enc)" "$(openssl x509 -in "$WORK/dev-$enc.pem" -noout -subject)" "CN = dev-$enc"
  done
  expect_eq "$SUITE: five enrollments recorded" "$(issued_count)" $((before + 5))

  mkcsr dev-iot ec-P-256 "/CN=dev-iot/O=Example Devices" "DNS:dev-iot.example"
  post /.well-known/est/iot/simpleenroll "$WORK/dev-iot.csr" boot boot
  expect_eq "$SUITE: simpleenroll labelled -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/dev-iot.pem"
  expect_contains "$SUITE: labelled profile EKU applied" "$(openssl x509 -in "$WORK/dev-iot.pem" -noout -ext extendedKeyUsage)" "TLS Web Server Authentication"
  expect_contains "$SUITE: end-entity is CA:FALSE" "$(openssl x509 -in "$WORK/dev-iot.pem" -noout -ext basicConstraints)" "CA:FALSE"
  expect_eq "$SUITE: enroll answer carries only the issued certificate" "$(grep -c 'BEGIN CERTIFICATE' "$WORK/dev-iot.pem")" 1
}

scenario_reenroll() {
  # Default profile: rekey with the certificate just issued; the old one stays valid.
  mkcsr dev-pem-2 ec-P-384 "/CN=dev-pem/O=Example Devices" "DNS:dev-pem.example"
  cp "$WORK/dev-pem.key" "$WORK/dev-pem-tls.key"
  post /.well-known/est/simplereenroll "$WORK/dev-pem-2.csr" dev-pem dev-pem-tls
  expect_eq "$SUITE: simplereenroll with rekey -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/dev-pem-2.pem"
  check "$SUITE: re-enrolled certificate carries the new key" \
    cmp <(openssl x509 -in "$WORK/dev-pem-2.pem" -noout -pubkey) <(openssl pkey -in "$WORK/dev-pem-2.key" -pubout)
  local old new
  old=$(openssl x509 -in "$WORK/dev-pem.pem" -noout -serial | cut -d= -f2)
  new=$(openssl x509 -in "$WORK/dev-pem-2.pem" -noout -serial | cut -d= -f2)
  expect_contains "$SUITE: new record names the one it replaces" "$("$ESTFCGI" cert show "$new" --json)" "\"replaces\" : \"$(echo "$old" | tr A-F a-f | sed 's/^0*//')\""
  expect_contains "$SUITE: default profile keeps the old certificate valid" "$("$ESTFCGI" cert show "$old" --json)" '"status" : "valid"'

  # iot: revoke-on-reenroll.
  mkcsr dev-iot-2 ec-P-256 "/CN=dev-iot/O=Example Devices" "DNS:dev-iot.example"
  post /.well-known/est/iot/simplereenroll "$WORK/dev-iot-2.csr" dev-iot dev-iot
  expect_eq "$SUITE: labelled simplereenroll -> 200" "$STATUS" 200
  old=$(openssl x509 -in "$WORK/dev-iot.pem" -noout -serial | cut -d= -f2)
  local shown; shown=$("$ESTFCGI" cert show "$old" --json)
  expect_contains "$SUITE: revoke-on-reenroll revoked the old certificate" "$shown" '"status" : "revoked"'
  expect_contains "$SUITE: ... as superseded" "$shown" '"revocation_reason" : "superseded"'

  local before; before=$(issued_count)
  mkcsr dev-iot-3 ec-P-256 "/CN=dev-iot/O=Example Devices" "DNS:dev-iot.example"
  post /.well-known/est/iot/simplereenroll "$WORK/dev-iot-3.csr" dev-iot dev-iot
  expect_eq "$SUITE: re-enroll with a revoked certificate -> 403" "$STATUS" 403
  post /.well-known/est/iot/simplereenroll "$WORK/dev-b64wrapped.csr" dev-b64wrapped dev-b64wrapped
  expect_eq "$SUITE: re-enroll under another label than the issuing one -> 403" "$STATUS" 403
  post /.well-known/est/simplereenroll "$WORK/dev-iot-3.csr" boot boot
  expect_eq "$SUITE: re-enroll with a bootstrap certificate -> 403" "$STATUS" 403
  mkcsr dev-other ec-P-256 "/CN=someone-else/O=Example Devices" "DNS:dev-b64oneline.example"
  post /.well-known/est/simplereenroll "$WORK/dev-other.csr" dev-b64oneline dev-b64oneline
  expect_eq "$SUITE: re-enroll with a different subject -> 400" "$STATUS" 400
  mkcsr dev-san ec-P-256 "/CN=dev-b64oneline/O=Example Devices" "DNS:other.example"
  post /.well-known/est/simplereenroll "$WORK/dev-san.csr" dev-b64oneline dev-b64oneline
  expect_eq "$SUITE: re-enroll with a different subjectAltName -> 400" "$STATUS" 400

  mkcsr dev-strict ec-P-256 "/CN=dev-strict/O=Example Devices"
  post /.well-known/est/strict/simpleenroll "$WORK/dev-strict.csr" boot boot
  expect_eq "$SUITE: enroll under the windowed profile -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/dev-strict.pem"
  before=$(issued_count)
  post /.well-known/est/strict/simplereenroll "$WORK/dev-strict.csr" dev-strict dev-strict
  expect_eq "$SUITE: re-enroll before the window opens -> 403" "$STATUS" 403
  expect_contains "$SUITE: ... saying so" "$(cat "$WORK/resp.body")" "renewal window not open"
  expect_eq "$SUITE: refused re-enrollments issued nothing" "$(issued_count)" "$before"
}

scenario_refusals() {
  local before audit_before; before=$(issued_count); audit_before=$(audit_count)
  mkcsr dev-x ec-P-256 "/CN=dev-x/O=Example Devices"

  post /.well-known/est/simpleenroll "$WORK/dev-x.csr" "" ""
  expect_eq "$SUITE: no client certificate -> 401" "$STATUS" 401
  expect_eq "$SUITE: error body is one text/plain line" "$(header Content-Type | cut -d';' -f1) $(wc -l < "$WORK/resp.body")" "text/plain 1"

  # A device (or attacker) sending the certificate as a header, without TLS client auth.
  local escaped; escaped=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read(), safe=""))' "$WORK/boot.pem")
  est POST /.well-known/est/simpleenroll -H "Content-Type: application/pkcs10" -H "SSL-Client-Cert: $escaped" \
    -H "X-SSL-Client-Cert: $escaped" --data-binary "@$WORK/dev-x.csr"
  expect_eq "$SUITE: spoofed SSL-Client-Cert header -> 401" "$STATUS" 401

  post /.well-known/est/simpleenroll "$WORK/dev-x.csr" rogue rogue
  expect_eq "$SUITE: untrusted client certificate -> 403" "$STATUS" 403
  post /.well-known/est/simpleenroll "$WORK/dev-x.csr" boot-revoked boot-revoked
  expect_eq "$SUITE: revoked client certificate -> 403" "$STATUS" 403

  printf 'this is not a CSR!' > "$WORK/garbage"
  post /.well-known/est/simpleenroll "$WORK/garbage" boot boot
  expect_eq "$SUITE: malformed CSR -> 400" "$STATUS" 400
  python3 - "$WORK/dev-x.der" "$WORK/tampered.der" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-5] ^= 0x01   # inside the signature value
open(sys.argv[2], 'wb').write(bytes(b))
PY
  post /.well-known/est/simpleenroll "$WORK/tampered.der" boot boot
  expect_eq "$SUITE: tampered CSR -> 400" "$STATUS" 400
  expect_contains "$SUITE: ... signature reason" "$(cat "$WORK/resp.body")" "signature"
  mkcsr dev-weak rsa:1024 "/CN=dev-weak"
  post /.well-known/est/simpleenroll "$WORK/dev-weak.csr" boot boot
  expect_eq "$SUITE: RSA-1024 CSR -> 400" "$STATUS" 400
  mkcsr dev-rsa rsa:2048 "/CN=dev-rsa"
  post /.well-known/est/iot/simpleenroll "$WORK/dev-rsa.csr" boot boot
  expect_eq "$SUITE: key type outside the profile's list -> 400" "$STATUS" 400
  post /.well-known/est/simpleenroll "$WORK/dev-x.csr" boot boot text/plain
  expect_eq "$SUITE: wrong Content-Type -> 415" "$STATUS" 415
  head -c 70000 /dev/zero | tr '\0' 'A' > "$WORK/big"
  post /.well-known/est/simpleenroll "$WORK/big" boot boot
  expect_eq "$SUITE: body over 64 KiB -> 413" "$STATUS" 413
  est GET /.well-known/est/simpleenroll
  expect_eq "$SUITE: GET simpleenroll -> 405" "$STATUS" 405
  expect_eq "$SUITE: ... with Allow: POST" "$(header Allow)" "POST"
  post /.well-known/est/nosuchop "$WORK/dev-x.csr" boot boot
  expect_eq "$SUITE: unknown operation -> 404" "$STATUS" 404
  post /.well-known/est/nosuchlabel/simpleenroll "$WORK/dev-x.csr" boot boot
  expect_eq "$SUITE: unknown label -> 404" "$STATUS" 404
  post /.well-known/est/a/b/simpleenroll "$WORK/dev-x.csr" boot boot
  expect_eq "$SUITE: too many path segments -> 404" "$STATUS" 404

  expect_eq "$SUITE: no refusal issued anything" "$(issued_count)" "$before"
  expect_eq "$SUITE: every refused request left an audit row" "$(audit_count)" $((audit_before + 14))
  expect_contains "$SUITE: audit names the refused client" \
    "$(sqlite3 "$ESTFCGI_DB" "SELECT client || ' ' || status FROM audit WHERE client LIKE '%rogue%' ORDER BY id DESC LIMIT 1")" "CN=rogue 403"
}

# libest needs Content-Length on every answer, never chunked or close-delimited bodies.
framing_checks() {
  local label=$1
  est GET /.well-known/est/cacerts --http1.1
  expect_eq "$label: cacerts keeps Content-Length (not chunked)" \
    "$(header Content-Length):$(grep -ci '^Transfer-Encoding' "$WORK/resp.headers")" "$(stat -c %s "$WORK/resp.body"):0"
  mkcsr "cl-$label" ec-P-256 "/CN=cl-$label/O=Example Devices"
  post /.well-known/est/simpleenroll "$WORK/cl-$label.csr" boot boot
  expect_eq "$label: enroll answer keeps Content-Length" \
    "$STATUS:$(header Content-Length):$(grep -ci '^Transfer-Encoding' "$WORK/resp.headers")" "200:$(stat -c %s "$WORK/resp.body"):0"
  post /.well-known/est/simpleenroll "$WORK/cl-$label.csr" "" ""
  expect_eq "$label: error answer keeps Content-Length" \
    "$STATUS:$(header Content-Length):$(grep -ci '^Transfer-Encoding' "$WORK/resp.headers")" "401:$(stat -c %s "$WORK/resp.body"):0"
}

run_scenarios() {
  openssl x509 -in "$WORK/cacerts.pem" >/dev/null 2>&1 || true
  "$ESTFCGI" ca export --name root > "$WORK/root-only.pem"
  scenario_cacerts
  scenario_enroll_encodings
  scenario_reenroll
  scenario_refusals
  framing_checks "$SUITE"
}

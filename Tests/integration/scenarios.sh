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
# A refusal's audit row joins the responder's next commit, at most 0.2 s later: wait that out.
audit_count() { sleep 0.3; sqlite3 "$ESTFCGI_DB" 'SELECT count(*) FROM audit'; }
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
  # A revocation takes what was re-enrolled from the certificate with it: a revocation racing
  # a re-enrollment never leaves the successor valid.
  local revoked; revoked=$("$ESTFCGI" cert revoke "$old" --reason keyCompromise)
  expect_contains "$SUITE: cert revoke also revokes the successor" "$revoked" "a successor of"
  expect_contains "$SUITE: ... which is then revoked" "$("$ESTFCGI" cert show "$new" --json)" '"revocation_reason" : "keyCompromise"'

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
  # Refusals decided by policy are audited (revoked, tampered, weak key, key type, unknown
  # label: 5); those before any decision (no or spoofed certificate, a certificate that
  # authenticates no one, malformed body, media type, size, method, unrouted: 9) are logged
  # only, so that anonymous clients and self-made certificates cannot grow the store.
  expect_eq "$SUITE: every refusal decided by policy left an audit row, no other did" "$(audit_count)" $((audit_before + 5))
  expect_contains "$SUITE: audit names the refused client" \
    "$(sqlite3 "$ESTFCGI_DB" "SELECT client || ' ' || status FROM audit WHERE client LIKE '%boot-revoked%' ORDER BY id DESC LIMIT 1")" \
    "CN=boot-revoked-0001 403"
  expect_eq "$SUITE: the untrusted (self-signed) client has no audit row" \
    "$(sqlite3 "$ESTFCGI_DB" "SELECT count(*) FROM audit WHERE client LIKE '%rogue%'")" 0
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
  check "$label: enroll answer under libest's 4 KiB limit" test "$(stat -c %s "$WORK/resp.body")" -lt 4096
  est GET /.well-known/est/cacerts --tls-max 1.2
  expect_eq "$label: a TLS 1.2-only client (libest) is served" "$STATUS" 200
  post /.well-known/est/simpleenroll "$WORK/cl-$label.csr" "" ""
  expect_eq "$label: error answer keeps Content-Length" \
    "$STATUS:$(header Content-Length):$(grep -ci '^Transfer-Encoding' "$WORK/resp.headers")" "401:$(stat -c %s "$WORK/resp.body"):0"
}


HERE_IT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# skg_split NAME: splits the last answer into $WORK/NAME-1.der (key) and -2.der (cert PKCS#7).
skg_split() {
  python3 "$HERE_IT/split_multipart.py" "$WORK/resp.headers" "$WORK/resp.body" "$WORK/$1" > "$WORK/$1.types" 2>"$WORK/$1.err"
}
ski_of() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :\n'; }
# open_sealed NAME CLIENT: decrypts $WORK/NAME-1.der with CLIENT's key, verifies the inner
# SignedData against the root and writes the PrivateKeyInfo to $WORK/NAME.pk8.
open_sealed() {
  openssl cms -decrypt -binary -inform DER -in "$WORK/$1-1.der" -recip "$WORK/$2.pem" -inkey "$WORK/$2.key" \
    -out "$WORK/$1.signed" 2>"$WORK/$1.err" &&
  openssl cms -verify -binary -inform DER -in "$WORK/$1.signed" -CAfile "$WORK/root-only.pem" -purpose any \
    -out "$WORK/$1.pkg" 2>>"$WORK/$1.err" &&
  python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); n=d[1]; h=2+(n&0x7f if n&0x80 else 0); open(sys.argv[2],"wb").write(d[h:])' \
    "$WORK/$1.pkg" "$WORK/$1.pk8"
}
# key_matches_cert NAME: the PKCS#8 key in $WORK/NAME.pk8 is the key of $WORK/NAME.pem.
key_matches_cert() { cmp -s <(openssl pkey -inform DER -in "$WORK/$1.pk8" -pubout) <(openssl x509 -in "$WORK/$1.pem" -noout -pubkey); }

scenario_serverkeygen() {
  local t
  for t in ec rsa; do
    mkcsr "skg-$t" ec-P-256 "/CN=skg-$t/O=Example Devices" "DNS:skg-$t.example"
    post "/.well-known/est/keygen-$t/serverkeygen" "$WORK/skg-$t.csr" boot boot
    expect_eq "$SUITE: serverkeygen ($t) -> 200" "$STATUS" 200
    expect_contains "$SUITE: serverkeygen ($t) is multipart/mixed" "$(header Content-Type)" "multipart/mixed; boundary="
    check "$SUITE: serverkeygen ($t) parses as two base64 parts, CRLF delimiters, no CR in parts" skg_split "skg-$t"
    expect_eq "$SUITE: serverkeygen ($t) parts: key, then certificate" "$(tr '\n' '|' < "$WORK/skg-$t.types")" \
      "application/pkcs8|application/pkcs7-mime; smime-type=certs-only|"
    openssl pkcs7 -inform DER -in "$WORK/skg-$t-2.der" -print_certs -out "$WORK/skg-$t.pem" 2>/dev/null
    cp "$WORK/skg-$t-1.der" "$WORK/skg-$t.pk8"
    check "$SUITE: serverkeygen ($t) key matches the certificate" key_matches_cert "skg-$t"
    check "$SUITE: serverkeygen ($t) certificate chains to /cacerts" \
      openssl verify -CAfile "$WORK/root-only.pem" -untrusted "$WORK/cacerts.pem" "$WORK/skg-$t.pem"
    check "$SUITE: serverkeygen ($t) ignored the CSR's key" \
      bash -c "! cmp -s <(openssl x509 -in '$WORK/skg-$t.pem' -noout -pubkey) <(openssl pkey -in '$WORK/skg-$t.key' -pubout)"
    expect_contains "$SUITE: serverkeygen ($t) subject from the CSR" "$(openssl x509 -in "$WORK/skg-$t.pem" -noout -subject -ext subjectAltName)" "DNS:skg-$t.example"
  done
  expect_contains "$SUITE: keygen-ec made a P-256 key" "$(openssl pkey -inform DER -in "$WORK/skg-ec.pk8" -noout -text)" "NIST CURVE: P-256"
  expect_contains "$SUITE: keygen-rsa made an RSA-2048 key" "$(openssl pkey -inform DER -in "$WORK/skg-rsa.pk8" -noout -text)" "(2048 bit"

  # Encryption asked for in the CSR (AsymmetricDecryptKeyIdentifier = the EC client's SKI).
  mkcsr skg-enc ec-P-256 "/CN=skg-enc/O=Example Devices"
  python3 "$HERE_IT/csr_with_attrs.py" "$WORK/skg-enc.der" "$WORK/skg-enc.key" "$WORK/skg-enc-attr.der" \
    "1.2.840.113549.1.9.16.2.54=0414$(ski_of "$WORK/boot.pem")"
  post /.well-known/est/keygen-ec/serverkeygen "$WORK/skg-enc-attr.der" boot boot
  expect_eq "$SUITE: serverkeygen encrypted to an EC client -> 200" "$STATUS" 200
  skg_split skg-enc
  expect_eq "$SUITE: encrypted key part type" "$(head -1 "$WORK/skg-enc.types")" "application/pkcs7-mime; smime-type=server-generated-key"
  openssl pkcs7 -inform DER -in "$WORK/skg-enc-2.der" -print_certs -out "$WORK/skg-enc.pem" 2>/dev/null
  check "$SUITE: EC client decrypts, inner SignedData verifies to the root" open_sealed skg-enc boot
  check "$SUITE: decrypted key matches the certificate (EC client)" key_matches_cert skg-enc
  expect_contains "$SUITE: inner content is an AsymmetricKeyPackage" \
    "$(openssl cms -cmsout -print -inform DER -in "$WORK/skg-enc.signed" 2>/dev/null | grep -m1 eContentType)" "2.16.840.1.101.2.1.2.78.5"
  check "$SUITE: the key is not in clear anywhere in the answer" \
    bash -c "! grep -q 'application/pkcs8' '$WORK/resp.body'"

  # Encryption required by the profile, to the RSA client's TLS certificate.
  mkcsr skg-rsaenc ec-P-256 "/CN=skg-rsaenc/O=Example Devices"
  post /.well-known/est/keygen-enc/serverkeygen "$WORK/skg-rsaenc.csr" boot-rsa boot-rsa
  expect_eq "$SUITE: serverkeygen encrypted to an RSA client -> 200" "$STATUS" 200
  skg_split skg-rsaenc
  openssl pkcs7 -inform DER -in "$WORK/skg-rsaenc-2.der" -print_certs -out "$WORK/skg-rsaenc.pem" 2>/dev/null
  check "$SUITE: RSA client decrypts, inner SignedData verifies to the root" open_sealed skg-rsaenc boot-rsa
  check "$SUITE: decrypted key matches the certificate (RSA client)" key_matches_cert skg-rsaenc

  local before; before=$(issued_count)
  post /.well-known/est/serverkeygen "$WORK/skg-ec.csr" boot boot
  expect_eq "$SUITE: serverkeygen not enabled -> 403" "$STATUS:$(cat "$WORK/resp.body")" "403:server key generation not enabled for this profile"
  python3 "$HERE_IT/csr_with_attrs.py" "$WORK/skg-enc.der" "$WORK/skg-enc.key" "$WORK/skg-unknown.der" \
    "1.2.840.113549.1.9.16.2.54=0414$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  post /.well-known/est/keygen-ec/serverkeygen "$WORK/skg-unknown.der" boot boot
  expect_eq "$SUITE: serverkeygen to an unknown recipient -> 400" "$STATUS" 400
  python3 "$HERE_IT/csr_with_attrs.py" "$WORK/skg-enc.der" "$WORK/skg-enc.key" "$WORK/skg-sym.der" \
    "1.2.840.113549.1.9.16.2.37=04080102030405060708"
  post /.well-known/est/keygen-ec/serverkeygen "$WORK/skg-sym.der" boot boot
  expect_eq "$SUITE: symmetric DecryptKeyIdentifier refused -> 400" "$STATUS" 400
  expect_contains "$SUITE: ... with a reason" "$(cat "$WORK/resp.body")" "DecryptKeyIdentifier"
  post /.well-known/est/keygen-ec/serverkeygen "$WORK/skg-ec.csr" "" ""
  expect_eq "$SUITE: serverkeygen without client certificate -> 401" "$STATUS" 401
  post /.well-known/est/keygen-ec/serverkeygen "$WORK/skg-ec.csr" rogue rogue
  expect_eq "$SUITE: serverkeygen with an untrusted certificate -> 403" "$STATUS" 403
  expect_eq "$SUITE: refused serverkeygen issued nothing" "$(issued_count)" "$before"
}

scenario_csrattrs() {
  est GET /.well-known/est/csrattrs
  expect_eq "$SUITE: csrattrs with nothing configured -> 204, empty" "$STATUS:$(stat -c %s "$WORK/resp.body")" "204:0"
  est GET /.well-known/est/attrs/csrattrs
  expect_eq "$SUITE: csrattrs -> 200" "$STATUS" 200
  expect_eq "$SUITE: csrattrs media type" "$(header Content-Type)" "application/csrattrs"
  local parsed; parsed=$(base64 -d < "$WORK/resp.body" | openssl asn1parse -inform DER 2>&1)
  local want
  for want in challengePassword 1.3.6.1.1.1.1.22 id-ecPublicKey secp384r1 ecdsa-with-SHA384 "Extension Request" "X509v3 Subject Alternative Name"; do
    expect_contains "$SUITE: csrattrs holds $want" "$parsed" "$want"
  done
  expect_eq "$SUITE: csrattrs is one SEQUENCE of 5 items" "$(printf '%s\n' "$parsed" | grep -c ':d=1 ')" 5

  local good=1304$(printf pass | od -An -tx1 | tr -d ' \n')   # PrintableString "pass"
  local mac=1611$(printf '00:11:22:33:44:55' | od -An -tx1 | tr -d ' \n')
  local before; before=$(issued_count)
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -sha384 -subj "/CN=attrs-ok" \
    -addext "subjectAltName=DNS:attrs-ok.example" -keyout "$WORK/attrs.key" -outform DER -out "$WORK/attrs.der" 2>/dev/null
  python3 "$HERE_IT/csr_with_attrs.py" "$WORK/attrs.der" "$WORK/attrs.key" "$WORK/attrs-ok.der" --digest sha384 \
    "1.2.840.113549.1.9.7=$good" "1.3.6.1.1.1.1.22=$mac"
  python3 "$HERE_IT/csr_with_attrs.py" "$WORK/attrs.der" "$WORK/attrs.key" "$WORK/attrs-nopw.der" --digest sha384 "1.3.6.1.1.1.1.22=$mac"
  python3 "$HERE_IT/csr_with_attrs.py" "$WORK/attrs.der" "$WORK/attrs.key" "$WORK/attrs-sha256.der" --digest sha256 \
    "1.2.840.113549.1.9.7=$good" "1.3.6.1.1.1.1.22=$mac"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha384 -subj "/CN=attrs-p256" \
    -addext "subjectAltName=DNS:attrs-p256.example" -keyout "$WORK/attrs256.key" -outform DER -out "$WORK/attrs256.der" 2>/dev/null
  python3 "$HERE_IT/csr_with_attrs.py" "$WORK/attrs256.der" "$WORK/attrs256.key" "$WORK/attrs-p256.der" --digest sha384 \
    "1.2.840.113549.1.9.7=$good" "1.3.6.1.1.1.1.22=$mac"

  post /.well-known/est/attrs/simpleenroll "$WORK/attrs-nopw.der" boot boot
  expect_eq "$SUITE: enforced csrattrs, challengePassword missing -> 400" "$STATUS:$(cat "$WORK/resp.body")" \
    "400:CSR lacks challengePassword, required by this profile (csrattrs)"
  post /.well-known/est/attrs/simpleenroll "$WORK/attrs-p256.der" boot boot
  expect_eq "$SUITE: enforced csrattrs, other key type -> 400" "$STATUS:$(cat "$WORK/resp.body")" "400:CSR key must be ec-p384 (csrattrs)"
  post /.well-known/est/attrs/simpleenroll "$WORK/attrs-sha256.der" boot boot
  expect_eq "$SUITE: enforced csrattrs, other signature algorithm -> 400" "$STATUS" 400
  expect_eq "$SUITE: refused csrattrs CSRs issued nothing" "$(issued_count)" "$before"
  post /.well-known/est/attrs/simpleenroll "$WORK/attrs-ok.der" boot boot
  expect_eq "$SUITE: enforced csrattrs, compliant CSR -> 200" "$STATUS" 200

  "$ESTFCGI" profile update --profile attrs --no-enforce-csrattrs >/dev/null
  post /.well-known/est/attrs/simpleenroll "$WORK/attrs-p256.der" boot boot
  expect_eq "$SUITE: csrattrs not enforced, same CSR -> 200" "$STATUS" 200
  "$ESTFCGI" profile update --profile attrs --enforce-csrattrs >/dev/null
}

run_scenarios() {
  "$ESTFCGI" ca export --name root > "$WORK/root-only.pem"
  scenario_cacerts
  scenario_enroll_encodings
  scenario_reenroll
  scenario_refusals
  scenario_serverkeygen
  scenario_csrattrs
  framing_checks "$SUITE"
}

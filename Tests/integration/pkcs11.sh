# CA keys in a PKCS#11 token (issue 22): a throwaway SoftHSM2 token, a root and an issuing
# CA whose keys are in it beside software-key CAs in one store; enrollment, re-enrollment,
# encrypted serverkeygen and a CRL signed by the token, checked with openssl, through nginx,
# Apache (mod_proxy_fcgi, and mod_cgid: CGI) and CGI by hand; the PIN file rules; a missing token and a wrong PIN answer 503 with the
# reason in the log; doctor's findings (sourced; needs lib.sh, scenarios.sh, nginx.sh, apache.sh,
# cgi.sh).
P11_MODULE=/usr/lib/softhsm/libsofthsm2.so

# p11_token DIR LABEL PIN: a fresh SoftHSM2 token store in DIR with one initialised token.
p11_token() {
  mkdir -p "$1/tokens"
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$1" > "$1/softhsm2.conf"
  SOFTHSM2_CONF=$1/softhsm2.conf softhsm2-util --init-token --free --label "$2" --pin "$3" --so-pin 87654321 >/dev/null
}
# p11_key LABEL ID TYPE: a key pair made by the token's own tool (pkcs11-tool) in token est.
p11_key() {
  pkcs11-tool --module "$P11_MODULE" --token-label est --login --pin 1234 --keypairgen --key-type "$3" \
    --label "$1" --id "$2" >/dev/null 2>&1
}
# p11_enroll_checks FRONT: enrollment, re-enrollment, encrypted serverkeygen through $BASE.
p11_enroll_checks() {
  local front=$1
  mkcsr "p11-$front" ec-P-256 "/CN=p11-$front/O=Example Devices"
  post /.well-known/est/simpleenroll "$WORK/p11-$front.csr" boot boot
  expect_eq "pkcs11 $front: simpleenroll by the token-key issuing CA -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/p11-$front.pem"
  check "pkcs11 $front: ... openssl verify to the token-key root" \
    openssl verify -CAfile "$WORK/tkroot.pem" -untrusted "$WORK/tkissuing.pem" "$WORK/p11-$front.pem"
  cp "$WORK/p11-$front.key" "$WORK/p11-$front-tls.key"
  mkcsr "p11-$front-2" ec-P-256 "/CN=p11-$front/O=Example Devices"
  post /.well-known/est/simplereenroll "$WORK/p11-$front-2.csr" "p11-$front" "p11-$front-tls"
  expect_eq "pkcs11 $front: simplereenroll -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/p11-$front-2.pem"
  check "pkcs11 $front: ... the renewed certificate verifies" \
    openssl verify -CAfile "$WORK/tkroot.pem" -untrusted "$WORK/tkissuing.pem" "$WORK/p11-$front-2.pem"
  mkcsr "p11-skg-$front" ec-P-256 "/CN=p11-skg-$front/O=Example Devices"
  post /.well-known/est/keygen-enc/serverkeygen "$WORK/p11-skg-$front.csr" boot-rsa boot-rsa
  expect_eq "pkcs11 $front: encrypted serverkeygen -> 200" "$STATUS" 200
  skg_split "p11-skg-$front"
  openssl pkcs7 -inform DER -in "$WORK/p11-skg-$front-2.der" -print_certs -out "$WORK/p11-skg-$front.pem" 2>/dev/null
  # The inner SignedData is signed by the issuing CA's key, i.e. in the token.
  check "pkcs11 $front: ... decrypts, its SignedData (signed in the token) verifies to the root" open_sealed "p11-skg-$front" boot-rsa
  check "pkcs11 $front: ... the key matches the certificate" key_matches_cert "p11-skg-$front"
  mkcsr "p11-soft-$front" ec-P-256 "/CN=p11-soft-$front/O=Example Devices"
  post /.well-known/est/soft/simpleenroll "$WORK/p11-soft-$front.csr" boot boot
  expect_eq "pkcs11 $front: simpleenroll by a software-key CA of the same store -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/p11-soft-$front.pem"
  check "pkcs11 $front: ... verifies through the software CA to the token root" \
    openssl verify -CAfile "$WORK/tkroot.pem" -untrusted "$WORK/soft.pem" "$WORK/p11-soft-$front.pem"
}

suite_pkcs11() {
  if [ ! -e "$P11_MODULE" ] || ! command -v pkcs11-tool >/dev/null || ! command -v softhsm2-util >/dev/null; then
    not_ok "pkcs11: softhsm2, opensc and libengine-pkcs11-openssl are needed (scripts/install-deps)"; return
  fi
  # A store of its own, under a WORK of its own (the helpers read $WORK).
  local outer=$WORK
  local WORK=$outer/p11 ESTFCGI_DB=$outer/p11/ca.db ESTFCGI_KEY_PASSPHRASE_FILE=$outer/p11/passphrase
  mkdir -p "$WORK"
  cp "$outer"/{tls-ca.pem,server.pem,server.key,htpasswd} "$WORK/" 2>/dev/null
  export ESTFCGI_DB ESTFCGI_KEY_PASSPHRASE_FILE
  head -c 24 /dev/urandom | base64 > "$ESTFCGI_KEY_PASSPHRASE_FILE"; chmod 600 "$ESTFCGI_KEY_PASSPHRASE_FILE"
  p11_token "$WORK" est 1234
  local -x SOFTHSM2_CONF=$WORK/softhsm2.conf
  p11_key root-key 01 EC:prime256v1
  p11_key issuing-key 02 EC:prime256v1
  p11_key rsa-key 03 rsa:2048
  printf '1234\n' > "$WORK/pin"; chmod 600 "$WORK/pin"
  local e=$ESTFCGI out

  # --- The CLI: ca create / import with a token key, the PIN file rules, module-path.
  "$e" init >/dev/null
  out=$("$e" ca create --name tkroot --subject 'CN=Token Root,O=estfcgi test' --pkcs11-key 'pkcs11:token=est;object=root-key' \
        --pkcs11-module "$P11_MODULE" 2>&1)
  expect_contains "pkcs11 cli: no PIN -> one line naming the fix" "$out" "ESTFCGI_PKCS11_PIN_FILE"
  chmod 644 "$WORK/pin"
  out=$(ESTFCGI_PKCS11_PIN_FILE=$WORK/pin "$e" ca create --name tkroot --subject 'CN=Token Root,O=estfcgi test' \
        --pkcs11-key 'pkcs11:token=est;object=root-key' --pkcs11-module "$P11_MODULE" 2>&1)
  expect_contains "pkcs11 cli: a PIN file open to others is refused (passphrase file rules)" "$out" "PIN file $WORK/pin is open to others"
  chmod 600 "$WORK/pin"
  check "pkcs11 cli: ... and nothing was stored" bash -c "! '$e' ca list | grep -q tkroot"
  out=$("$e" ca create --name tkroot --subject 'CN=Token Root,O=estfcgi test' \
        --pkcs11-key "pkcs11:token=est;object=root-key?module-path=/tmp/evil.so&pin-source=file:$WORK/pin" 2>&1)
  expect_contains "pkcs11 cli: module-path in the URI is refused" "$out" "module-path is not taken from a URI"
  out=$("$e" ca create --name tkroot --subject 'CN=Token Root,O=estfcgi test' \
        --pkcs11-key "pkcs11:token=est;object=root-key?pin-value=1234" 2>&1)
  expect_contains "pkcs11 cli: a PIN in the URI is refused" "$out" "a PIN must not be in the URI"
  printf '9999\n' > "$WORK/badpin"; chmod 600 "$WORK/badpin"
  out=$(ESTFCGI_PKCS11_PIN_FILE=$WORK/badpin "$e" ca create --name tkroot --subject 'CN=Token Root,O=estfcgi test' \
        --pkcs11-key 'pkcs11:token=est;object=root-key' --pkcs11-module "$P11_MODULE" 2>&1)
  expect_contains "pkcs11 cli: a wrong PIN -> one line with the fix" "$out" "refused the PIN; fix: put the token's user PIN"
  printf %s "$out" > "$WORK/cli.out"
  check "pkcs11 cli: ... the PIN is never printed" bash -c "! grep -q 9999 '$WORK/cli.out'"
  # The root: module stored with the CA, PIN from pin-source=file: in the URI.
  check "pkcs11 cli: ca create a root with its key in the token (pin-source=file:)" \
    "$e" ca create --name tkroot --subject 'CN=Token Root,O=estfcgi test' \
      --pkcs11-key "pkcs11:token=est;object=root-key?pin-source=file:$WORK/pin" --pkcs11-module "$P11_MODULE"
  export ESTFCGI_PKCS11_MODULE=$P11_MODULE ESTFCGI_PKCS11_PIN_FILE=$WORK/pin
  # The issuing CA: module and PIN from the environment, signed by the token root.
  check "pkcs11 cli: ca create an issuing CA in the token, signed by the token root" \
    "$e" ca create --name tkissuing --issuer tkroot --subject 'CN=Token Issuing,O=estfcgi test' --path-len 0 \
      --pkcs11-key 'pkcs11:token=est;id=%02'
  check "pkcs11 cli: a software-key CA signed by the token root" \
    "$e" ca create --name soft --issuer tkroot --subject 'CN=Software Issuing,O=estfcgi test' --path-len 0
  "$e" ca export --name tkroot > "$WORK/tkroot.pem"
  "$e" ca export --name tkissuing | openssl x509 > "$WORK/tkissuing.pem"
  "$e" ca export --name soft | openssl x509 > "$WORK/soft.pem"
  cp "$WORK/tkroot.pem" "$WORK/root-only.pem"
  check "pkcs11 cli: the root is self-signed by the token key (openssl verify)" openssl verify -CAfile "$WORK/tkroot.pem" "$WORK/tkroot.pem"
  check "pkcs11 cli: the issuing CA verifies to it" openssl verify -CAfile "$WORK/tkroot.pem" "$WORK/tkissuing.pem"
  expect_eq "pkcs11 cli: the store keeps the URI and the module, no key material" \
    "$(sqlite3 "$ESTFCGI_DB" "SELECT name, pkcs11_uri, ifnull(pkcs11_module, '-'), encrypted_key IS NULL FROM cas WHERE pkcs11_uri IS NOT NULL ORDER BY id")" \
    "tkroot|pkcs11:token=est;object=root-key?pin-source=file:$WORK/pin|$P11_MODULE|1
tkissuing|pkcs11:token=est;id=%02|-|1"
  out=$("$e" ca list)
  expect_contains "pkcs11 cli: ca list says the root's key is in the token" "$(grep '^tkroot' <<<"$out")" "key: pkcs11"
  expect_contains "pkcs11 cli: ... and the software CA's is encrypted" "$(grep '^soft' <<<"$out")" "key: encrypted"
  expect_eq "pkcs11 cli: ca list --json key locations" \
    "$("$e" ca list --json | python3 -c 'import json,sys; print(" ".join(c["name"]+"="+c["key"] for c in json.load(sys.stdin)))')" \
    "tkroot=pkcs11 tkissuing=pkcs11 soft=encrypted"
  # ca import: the token key must match the certificate.
  openssl req -new -x509 -days 30 -subj '/CN=Imported RSA CA' -addext basicConstraints=critical,CA:TRUE \
    -engine pkcs11 -keyform engine -key 'pkcs11:token=est;object=rsa-key;type=private;pin-value=1234' \
    -out "$WORK/rsa-ca.pem" 2>/dev/null
  out=$("$e" ca import --name wrongkey --cert "$WORK/rsa-ca.pem" --pkcs11-key 'pkcs11:token=est;object=root-key' 2>&1)
  expect_contains "pkcs11 cli: ca import with a key that does not match the certificate is refused" "$out" "does not match --cert"
  check "pkcs11 cli: ca import with the token's matching RSA key" \
    "$e" ca import --name tkrsa --cert "$WORK/rsa-ca.pem" --pkcs11-key 'pkcs11:token=est;object=rsa-key'
  out=$("$e" ca rollover --name tkroot --pkcs11-key 'pkcs11:token=est;object=root-key' 2>&1)
  expect_contains "pkcs11 cli: ca rollover to the root's own token key is refused" "$out" "names the root's current key"
  out=$("$e" ca rollover --name tkroot --key ec-p256 --pkcs11-key 'pkcs11:token=est;object=root-key' 2>&1)
  expect_contains "pkcs11 cli: ca rollover with --key and --pkcs11-key is refused" "$out" "not both"
  out=$("$e" ca renew --name tkissuing --pkcs11-key 'pkcs11:token=est;object=no-such-key' 2>&1)
  expect_contains "pkcs11 cli: ca renew to a key not in the token -> its fix" "$out" "correct object=/id= in the URI"
  out=$("$e" ca create --name nokey --subject 'CN=x' --pkcs11-key 'pkcs11:token=est;object=no-such-key' 2>&1)
  expect_contains "pkcs11 cli: a key not in the token -> its fix" "$out" "correct object=/id= in the URI"

  # Profiles: the token issuing CA, the software one, encrypted serverkeygen; a factory CA.
  "$e" ca create --name factory --subject 'CN=Factory,O=Example Devices' >/dev/null
  "$e" profile create --profile factory --issuer factory >/dev/null
  "$e" profile create --default --issuer tkissuing --trust factory --cacerts tkissuing,tkroot >/dev/null
  "$e" profile create --profile soft --issuer soft --trust factory >/dev/null
  "$e" profile create --profile keygen-enc --issuer tkissuing --trust factory --serverkeygen ec-p256 --serverkeygen-encrypt >/dev/null
  local name keyopt
  for name in boot boot-rsa; do
    keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
    [ $name = boot-rsa ] && keyopt=(-newkey rsa:2048)
    openssl req -new "${keyopt[@]}" -nodes -subj "/CN=$name-p11/O=Example Devices" \
      -keyout "$WORK/$name.key" -out "$WORK/$name.csr" 2>/dev/null
    "$e" cert issue --profile factory --csr "$WORK/$name.csr" > "$WORK/$name.pem"
  done
  cert_serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

  # --- doctor: logs in, signs and verifies with each token key.
  doctor_run
  expect_contains "pkcs11 doctor: the token root signs and matches" "$DOCTOR_OUT" "OK    ca tkroot  key in PKCS#11 token token=est signs"
  expect_contains "pkcs11 doctor: ... the issuing CA too" "$DOCTOR_OUT" "OK    ca tkissuing  key in PKCS#11 token"
  expect_eq "pkcs11 doctor: exit 0" "$DOCTOR_RC" 0
  doctor_run_env() { DOCTOR_OUT=$(env "$@" "$ESTFCGI" doctor 2>&1); DOCTOR_RC=$?; }
  # The root's PIN (pin-source=) is right, the issuing CA's (ESTFCGI_PKCS11_PIN_FILE) wrong:
  # a process logged in to the token once would take it, so doctor checks each key in a
  # process of its own.
  doctor_run_env ESTFCGI_PKCS11_PIN_FILE="$WORK/badpin"
  expect_contains "pkcs11 doctor: ... while the root's right PIN still is OK" "$DOCTOR_OUT" "OK    ca tkroot  key in PKCS#11 token token=est signs"
  expect_contains "pkcs11 doctor: a wrong PIN is a FAIL" "$DOCTOR_OUT" "FAIL  ca tkissuing  key in PKCS#11 token: PKCS#11 token token=est refused the PIN"
  expect_contains "pkcs11 doctor: ... with its fix" "$DOCTOR_OUT" "fix: put the token's user PIN in the PIN file"
  expect_eq "pkcs11 doctor: ... exit 1" "$DOCTOR_RC" 1
  mkdir -p "$WORK/empty/tokens"; sed "s#$WORK/tokens#$WORK/empty/tokens#" "$SOFTHSM2_CONF" > "$WORK/empty.conf"
  doctor_run_env SOFTHSM2_CONF="$WORK/empty.conf"
  expect_contains "pkcs11 doctor: a missing token is a FAIL" "$DOCTOR_OUT" "PKCS#11 token token=est is not present"
  expect_contains "pkcs11 doctor: ... with its fix" "$DOCTOR_OUT" "fix: insert or initialise the token"
  cp "$ESTFCGI_DB" "$WORK/mismatch.db"
  sqlite3 "$WORK/mismatch.db" "UPDATE cas SET pkcs11_uri = 'pkcs11:token=est;object=issuing-key' WHERE name = 'tkroot'"
  # (and a store whose keys both take ESTFCGI_PKCS11_PIN_FILE, for serve below)
  cp "$ESTFCGI_DB" "$WORK/envpin.db"
  sqlite3 "$WORK/envpin.db" "UPDATE cas SET pkcs11_uri = 'pkcs11:token=est;object=root-key' WHERE name = 'tkroot'"
  doctor_run_env ESTFCGI_DB="$WORK/mismatch.db"
  expect_contains "pkcs11 doctor: a key that does not match the certificate is a FAIL" "$DOCTOR_OUT" \
    "FAIL  ca tkroot  the token key pkcs11:token=est;object=issuing-key does not match the CA certificate"
  expect_contains "pkcs11 doctor: ... with its fix" "$DOCTOR_OUT" "fix: point the URI at the key the CA certificate was made for"
  printf %s "$DOCTOR_OUT" > "$WORK/doctor.out"
  check "pkcs11 doctor: the PIN is never printed" bash -c "! grep -q 1234 '$WORK/doctor.out'"

  # --- CRL signed by the token key (the CLI), checked by openssl.
  "$e" cert revoke "$(cert_serial "$WORK/boot.pem")" --reason keyCompromise >/dev/null
  "$e" crl --ca tkroot --pem > "$WORK/tkroot-crl.pem" 2>"$WORK/crl.err"
  check "pkcs11 crl: a CRL signed by the token root verifies (openssl crl -verify)" \
    bash -c "openssl crl -in '$WORK/tkroot-crl.pem' -noout -verify -CAfile '$WORK/tkroot.pem' 2>&1 | grep -q 'verify OK'"
  "$e" crl --ca factory --pem > "$WORK/factory-crl.pem"
  expect_contains "pkcs11 crl: (the software CA's CRL in the same store lists its revocation)" \
    "$(openssl crl -in "$WORK/factory-crl.pem" -noout -text)" "$(cert_serial "$WORK/boot.pem")"
  "$e" crl --ca tkissuing --pem > "$WORK/tkissuing-crl.pem" 2>>"$WORK/crl.err"
  check "pkcs11 crl: ... and one by the token issuing CA" \
    bash -c "openssl crl -in '$WORK/tkissuing-crl.pem' -noout -verify -CAfile '$WORK/tkissuing.pem' 2>&1 | grep -q 'verify OK'"
  # boot was revoked only to check the CRL; bootstrap with a fresh one.
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=boot2-p11/O=Example Devices" \
    -keyout "$WORK/boot.key" -out "$WORK/boot.csr" 2>/dev/null
  "$e" cert issue --profile factory --csr "$WORK/boot.csr" > "$WORK/boot.pem"

  # --- nginx in front of `estfcgi serve` (2 workers, one token login per process).
  nginx_start
  BASE="https://127.0.0.1:$NGINX_PORT"
  p11_enroll_checks nginx
  est GET /.well-known/est/crl/tkissuing
  expect_eq "pkcs11 nginx: the token-signed CRL is served" "$STATUS" 200
  # OCSP (RFC 6960): the token CA's delegated responder (certified by the token at serve
  # start), then the token key itself signing the answers (ca ocsp-signer --direct).
  cat "$WORK/tkissuing.pem" "$WORK/tkroot.pem" > "$WORK/tkchain.pem"
  p11_ocsp() {
    openssl ocsp -issuer "$WORK/tkissuing.pem" -cert "$WORK/p11-nginx-2.pem" -reqout "$WORK/p11-ocsp.req" 2>/dev/null
    STATUS=$(curl -sS --max-time 20 -o "$WORK/resp.body" -w '%{http_code}' --cacert "$WORK/tls-ca.pem" \
      -H 'Content-Type: application/ocsp-request' --data-binary "@$WORK/p11-ocsp.req" "$BASE/.well-known/est/ocsp" 2>/dev/null)
    openssl ocsp -respin "$WORK/resp.body" -reqin "$WORK/p11-ocsp.req" -CAfile "$WORK/tkchain.pem" -resp_text "$@" 2>&1
  }
  out=$(p11_ocsp)
  expect_contains "pkcs11 nginx: OCSP by the token CA's delegated responder verifies" "$out" "Response verify OK"
  expect_contains "pkcs11 nginx: ... good" "$out" "Cert Status: good"
  "$e" ca ocsp-signer --name tkissuing --direct >/dev/null
  # -VAfile: verified only if signed by the key of that very certificate (the token's).
  out=$(p11_ocsp -VAfile "$WORK/tkissuing.pem")
  expect_contains "pkcs11 nginx: OCSP signed by the token key itself (--direct) verifies with the CA certificate" "$out" "Response verify OK"
  expect_contains "pkcs11 nginx: ... good" "$out" "Cert Status: good"
  nginx_stop
  check "pkcs11 nginx: the PIN never reaches the log" bash -c "! grep -q 1234 '$WORK/nginx/estfcgi.log'"

  # --- Apache (mod_proxy_fcgi) in front of `estfcgi serve`.
  # Apache's workers (www-data) reach the socket through the outer directory too.
  chmod 711 "$outer"
  apache_start
  BASE="https://127.0.0.1:$APACHE_PROXY_PORT"
  p11_enroll_checks apache
  apache_stop
  chmod 700 "$outer"

  # --- CGI through Apache's mod_cgid: a process per request, as www-data, the PKCS#11
  # variables set with SetEnv like the store's (the shipped apache/estfcgi-cgi.conf).
  local cdir=$WORK/apache-cgi
  mkdir -p "$cdir"
  local cport; cport=$(free_port)
  render_apache_conf estfcgi-cgi.conf "$cport" "" "$cdir/cgi.conf"
  render_cgi_store "$cdir/cgi.conf" "$ESTFCGI_DB"
  sed -i "s#^\( *\)SetEnv ESTFCGI_KEY_PASSPHRASE_FILE .*#&\n\1SetEnv ESTFCGI_PKCS11_MODULE $P11_MODULE\n\1SetEnv ESTFCGI_PKCS11_PIN_FILE $WORK/pin\n\1SetEnv SOFTHSM2_CONF $SOFTHSM2_CONF#" "$cdir/cgi.conf"
  { httpd_conf_head "$cdir" env cgid
    printf 'ScriptSock %s/cgisock\nListen 127.0.0.1:%s\nInclude %s/cgi.conf\n' "$cdir" "$cport" "$cdir"
  } > "$cdir/httpd.conf"
  chmod 711 "$outer"
  cgi_store_to_www_data
  chown -R www-data:www-data "$WORK/tokens" "$WORK/pin" "$SOFTHSM2_CONF"
  if apache2 -f "$cdir/httpd.conf" -k start && wait_port "$cport"; then
    BASE="https://127.0.0.1:$cport"
    p11_enroll_checks apache-cgi
    apache2 -f "$cdir/httpd.conf" -k stop
    local i; for i in $(seq 50); do [ -f "$cdir/httpd.pid" ] || break; sleep 0.1; done
  else
    not_ok "pkcs11 apache-cgi: Apache with mod_cgid did not start"
  fi
  chown -R root:root "$WORK"; chmod 700 "$outer"

  # --- CGI: a fresh process per request, as a web server starts it (env -i: only the
  # request's variables, the PKCS#11 ones among them).
  mkcsr p11-cgi ec-P-256 "/CN=p11-cgi/O=Example Devices"
  cp "$WORK/p11-cgi.der" "$WORK/cgi-in"
  local cgi_env=(REQUEST_METHOD=POST PATH_INFO=/simpleenroll CONTENT_TYPE=application/pkcs10
    CONTENT_LENGTH="$(stat -c %s "$WORK/cgi-in")" SSL_CLIENT_CERT="$(cat "$WORK/boot.pem")"
    ESTFCGI_DB="$ESTFCGI_DB" ESTFCGI_KEY_PASSPHRASE_FILE="$ESTFCGI_KEY_PASSPHRASE_FILE" ESTFCGI_PKCS11_MODULE="$P11_MODULE")
  cgi_by_hand "${cgi_env[@]}" ESTFCGI_PKCS11_PIN_FILE="$WORK/pin" SOFTHSM2_CONF="$SOFTHSM2_CONF"
  cgi_split
  expect_eq "pkcs11 cgi: simpleenroll, a process per request -> 200" "$(head -1 "$WORK/cgi-head")" "Status: 200 OK"
  p7certs "$WORK/cgi-body" "$WORK/p11-cgi.pem"
  check "pkcs11 cgi: ... verifies to the token root" \
    openssl verify -CAfile "$WORK/tkroot.pem" -untrusted "$WORK/tkissuing.pem" "$WORK/p11-cgi.pem"
  # Four CGI processes at once log in to the one token.
  local i pids=()
  for i in 1 2 3 4; do
    ( env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 SCRIPT_NAME=/.well-known/est "${cgi_env[@]}" \
        ESTFCGI_PKCS11_PIN_FILE="$WORK/pin" SOFTHSM2_CONF="$SOFTHSM2_CONF" \
        "$ESTFCGI" < "$WORK/cgi-in" > "$WORK/cgi-par-$i" 2>&1 ) & pids+=($!)
  done
  wait "${pids[@]}"
  expect_eq "pkcs11 cgi: 4 processes at once on one token -> 4 x 200" "$(cat "$WORK"/cgi-par-? | grep -c '^Status: 200')" 4
  # A wrong PIN and a missing token: 503 with Retry-After, the reason in the log (stderr).
  cgi_by_hand "${cgi_env[@]}" ESTFCGI_PKCS11_PIN_FILE="$WORK/badpin" SOFTHSM2_CONF="$SOFTHSM2_CONF"
  cgi_split
  expect_eq "pkcs11 cgi: a wrong PIN -> 503" "$(head -1 "$WORK/cgi-head")" "Status: 503 Service Unavailable"
  expect_contains "pkcs11 cgi: ... with Retry-After" "$(cat "$WORK/cgi-head")" "Retry-After:"
  expect_contains "pkcs11 cgi: ... the reason in the log line" "$(cat "$WORK/cgi-err")" "status=503"
  expect_contains "pkcs11 cgi: ... naming the wrong PIN" "$(cat "$WORK/cgi-err")" "token=est refused the PIN"
  check "pkcs11 cgi: ... and not the PIN" bash -c "! grep -q 9999 '$WORK/cgi-err' '$WORK/cgi-out'"
  cgi_by_hand "${cgi_env[@]}" ESTFCGI_PKCS11_PIN_FILE="$WORK/pin" SOFTHSM2_CONF="$WORK/empty.conf"
  cgi_split
  expect_eq "pkcs11 cgi: a missing token -> 503" "$(head -1 "$WORK/cgi-head")" "Status: 503 Service Unavailable"
  expect_contains "pkcs11 cgi: ... the reason in the log line" "$(cat "$WORK/cgi-err")" "token=est is not present"
  cgi_by_hand "${cgi_env[@]}" ESTFCGI_PKCS11_PIN_FILE="$WORK/pin" SOFTHSM2_CONF="$SOFTHSM2_CONF" ESTFCGI_PKCS11_MODULE=/nonexistent/libp11.so
  cgi_split
  expect_eq "pkcs11 cgi: an unloadable module -> 503" "$(head -1 "$WORK/cgi-head")" "Status: 503 Service Unavailable"
  expect_contains "pkcs11 cgi: ... the reason in the log line" "$(cat "$WORK/cgi-err")" "/nonexistent/libp11.so"

  # --- serve with the token gone: it starts, token CAs answer 503 (reason in the log line),
  # the software CA of the same store keeps issuing.
  SOFTHSM2_CONF=$WORK/empty.conf nginx_start
  BASE="https://127.0.0.1:$NGINX_PORT"
  mkcsr p11-gone ec-P-256 "/CN=p11-gone/O=Example Devices"
  post /.well-known/est/simpleenroll "$WORK/p11-gone.csr" boot boot
  expect_eq "pkcs11 serve: token missing -> 503" "$STATUS" 503
  expect_eq "pkcs11 serve: ... with Retry-After" "$(header Retry-After | grep -c .)" 1
  post /.well-known/est/soft/simpleenroll "$WORK/p11-gone.csr" boot boot
  expect_eq "pkcs11 serve: ... while the software-key CA issues -> 200" "$STATUS" 200
  nginx_stop
  expect_contains "pkcs11 serve: the reason in the log line" "$(grep 'status=503' "$WORK/nginx/estfcgi.log")" "token=est is not present"
  check "pkcs11 serve: never a 500" bash -c "! grep -q 'status=500' '$WORK/nginx/estfcgi.log'"
  # (The store whose keys both take ESTFCGI_PKCS11_PIN_FILE: a process logged in once
  # with a right PIN stays logged in to that token.)
  ESTFCGI_DB=$WORK/envpin.db ESTFCGI_PKCS11_PIN_FILE=$WORK/badpin nginx_start
  BASE="https://127.0.0.1:$NGINX_PORT"
  post /.well-known/est/simpleenroll "$WORK/p11-gone.csr" boot boot
  expect_eq "pkcs11 serve: wrong PIN -> 503" "$STATUS" 503
  nginx_stop
  expect_contains "pkcs11 serve: ... the reason in the log line" "$(grep 'status=503' "$WORK/nginx/estfcgi.log")" "refused the PIN"
  p11_rollover
  unset ESTFCGI_PKCS11_MODULE ESTFCGI_PKCS11_PIN_FILE
}

# p11_cacerts NAME LABEL: GET /LABEL/cacerts into $WORK/NAME.pem and NAME-links.pem (the
# certificates that are not self-signed: OpenSSL's untrusted intermediates).
p11_cacerts() {
  est GET "/.well-known/est/$2/cacerts"
  p7certs "$WORK/resp.body" "$WORK/$1.pem"
  python3 - "$WORK/$1.pem" "$WORK/$1-links.pem" <<'PY2'
import sys
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
with open(sys.argv[2], "wb") as f:
    for c in x509.load_pem_x509_certificates(open(sys.argv[1], "rb").read()):
        try:
            c.verify_directly_issued_by(c)
        except Exception:
            f.write(c.public_bytes(Encoding.PEM))
PY2
}
# p11_verify NAME ROOT CERT LINKS: openssl verify CERT against ROOT alone.
p11_verify() { check "$1" openssl verify -x509_strict -CAfile "$WORK/$2" -untrusted "$WORK/$4" "$WORK/$3"; }
# p11_enroll NAME LABEL TLS [re]: a certificate for CN=NAME through profile LABEL in $WORK/NAME.pem.
p11_enroll() {
  mkcsr "$1" ec-P-256 "/CN=${5:-$1}/O=Example Devices"
  post "/.well-known/est/$2/simple${4:-}enroll" "$WORK/$1.csr" "$3" "$3"
  expect_eq "pkcs11 rollover: ${4:-}enroll $1 via $2 -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/$1.pem"
}

# Root rollover and intermediate renewal with token keys (issue 22), through nginx: the new
# root key made in the token beforehand (pkcs11-tool); device A trusts the old root only,
# device B the new root only, each running openssl verify at every stage. Every mix of
# old and new key: token -> token (the root), token -> same token key and token ->
# software (tkissuing), software -> token (soft, and a software root).
p11_rollover() {
  local s="pkcs11 rollover" e=$ESTFCGI out
  p11_key root2-key 04 EC:prime256v1
  p11_key soft2-key 05 EC:prime256v1
  p11_key swroot2-key 06 EC:prime256v1
  "$e" profile create --profile tkroll --issuer tkissuing --trust factory >/dev/null
  "$e" profile create --profile tkrollsoft --issuer soft --trust factory >/dev/null
  nginx_start
  BASE="https://127.0.0.1:$NGINX_PORT"
  cp "$WORK/root-only.pem" "$WORK/tk-old-root.pem"

  # Before: one chain.
  p11_cacerts tk-cacerts-0 tkroll
  p11_enroll tkd1 tkroll boot
  p11_verify "$s: before: device A (old root) verifies tkd1" tk-old-root.pem tkd1.pem tk-cacerts-0-links.pem

  # The rollover: token key -> another token key.
  check "$s: ca rollover --pkcs11-key (the new root key in the token)" \
    bash -c "'$e' ca rollover --name tkroot --pkcs11-key 'pkcs11:token=est;object=root2-key' > '$WORK/tk-rollover.pem'"
  expect_eq "$s: prints NewWithNew, NewWithOld, OldWithNew" "$(grep -c 'BEGIN CERT' "$WORK/tk-rollover.pem")" 3
  "$e" ca export --name tkroot > "$WORK/tk-new-root.pem"
  expect_eq "$s: the new root's key is the token's root2-key" \
    "$(openssl x509 -in "$WORK/tk-new-root.pem" -noout -pubkey)" \
    "$(pkcs11-tool --module "$P11_MODULE" --token-label est --read-object --type pubkey --label root2-key 2>/dev/null | openssl pkey -pubin -inform DER 2>/dev/null)"
  expect_eq "$s: the store keeps each generation's URI and module, no key material" \
    "$(sqlite3 "$ESTFCGI_DB" "SELECT c.pkcs11_uri, c.encrypted_key IS NULL, g.pkcs11_uri, ifnull(g.pkcs11_module, '-'), g.encrypted_key IS NULL
       FROM cas c JOIN ca_generations g ON g.ca_id = c.id WHERE c.name = 'tkroot'")" \
    "pkcs11:token=est;object=root2-key|1|pkcs11:token=est;object=root-key?pin-source=file:$WORK/pin|$P11_MODULE|1"
  out=$("$e" ca rollover --name tkroot --pkcs11-key 'pkcs11:token=est;object=rsa-key' 2>&1)
  expect_contains "$s: a second rollover during the overlap is refused" "$out" "rollover in progress"
  # Generations visible: ca list (text, --json) and doctor, with the token key of each.
  out=$("$e" ca list)
  expect_contains "$s: ca list: tkroot's current key is the token's" "$out" "  current   key 1 (pkcs11)"
  expect_contains "$s: ca list: ... its previous one too, with the links" "$out" "  previous  key 0 (pkcs11)"
  expect_contains "$s: ca list: ... and the rollover in progress with the command that ends it" "$out" "estfcgi ca rollover --name tkroot --finish"
  expect_eq "$s: ca list --json: generations, keys and the overlap" \
    "$("$e" ca list --json | python3 -c 'import json,sys
for c in json.load(sys.stdin):
    if c["name"] == "tkroot":
        print(c["rollover_in_progress"], [(g["generation"], g["key_index"], g["key"], g["pkcs11_uri"], g["crl_path"], g["old_with_new"] is not None) for g in c["generations"]])')" \
    "True [('current', 1, 'pkcs11', 'pkcs11:token=est;object=root2-key', '/.well-known/est/crl/tkroot(1)', False), ('previous', 0, 'pkcs11', 'pkcs11:token=est;object=root-key?pin-source=file:$WORK/pin', '/.well-known/est/crl/tkroot', True)]"
  doctor_run
  expect_contains "$s: doctor: the rollover in its overlap, with --finish" "$DOCTOR_OUT" "WARN  ca tkroot  root key rollover in its overlap"
  expect_contains "$s: doctor: ... the command" "$DOCTOR_OUT" "estfcgi ca rollover --name tkroot --finish"
  expect_contains "$s: doctor: the earlier token key logs in, signs and verifies with its own certificate" "$DOCTOR_OUT" \
    "OK    ca tkroot key 0  earlier key (signs /.well-known/est/crl/tkroot): key in PKCS#11 token token=est signs, and the certificate verifies it"
  expect_contains "$s: doctor: the current token key likewise" "$DOCTOR_OUT" "OK    ca tkroot  key in PKCS#11 token token=est signs"
  sqlite3 "$ESTFCGI_DB" ".backup '$WORK/gen-mismatch.db'"; chmod 600 "$WORK/gen-mismatch.db"
  sqlite3 "$WORK/gen-mismatch.db" "UPDATE ca_generations SET pkcs11_uri = 'pkcs11:token=est;object=issuing-key' WHERE pkcs11_uri LIKE '%root-key%'"
  doctor_run_env ESTFCGI_DB="$WORK/gen-mismatch.db"
  expect_contains "$s: doctor: an earlier token key that is not its certificate's is a FAIL" "$DOCTOR_OUT" \
    "FAIL  ca tkroot key 0  earlier key (signs /.well-known/est/crl/tkroot): the token key pkcs11:token=est;object=issuing-key does not match"
  sqlite3 "$WORK/gen-mismatch.db" "UPDATE ca_generations SET pkcs11_uri = 'pkcs11:token=est;object=gone-key' WHERE pkcs11_uri LIKE '%issuing-key%'"
  doctor_run_env ESTFCGI_DB="$WORK/gen-mismatch.db"
  expect_contains "$s: doctor: an earlier token key gone from the token is a FAIL with its fix" "$DOCTOR_OUT" "FAIL  ca tkroot key 0  earlier key"
  expect_contains "$s: doctor: ... naming the fix" "$DOCTOR_OUT" "correct object=/id= in the URI"
  # The old token key signs the CRL of what it certified, served at the URL its certificates carry.
  "$e" crl --ca tkroot --pem >/dev/null 2>"$WORK/tk-crl.err"
  expect_contains "$s: crl: the earlier token key's CRL is recorded" "$(cat "$WORK/tk-crl.err")" "1 CRL(s) of earlier keys of CA 'tkroot' recorded"
  est GET /.well-known/est/crl/tkroot
  openssl crl -inform DER -in "$WORK/resp.body" -out "$WORK/tk-old-key.crl" 2>/dev/null
  check "$s: /crl/tkroot: signed by the old token key (openssl crl -verify with the old root)" \
    bash -c "openssl crl -in '$WORK/tk-old-key.crl' -noout -verify -CAfile '$WORK/tk-old-root.pem' 2>&1 | grep -q 'verify OK'"
  est GET '/.well-known/est/crl/tkroot(1)'
  openssl crl -inform DER -in "$WORK/resp.body" -out "$WORK/tk-new-key.crl" 2>/dev/null
  check "$s: /crl/tkroot(1): signed by the new token key" \
    bash -c "openssl crl -in '$WORK/tk-new-key.crl' -noout -verify -CAfile '$WORK/tk-new-root.pem' 2>&1 | grep -q 'verify OK'"

  # The overlap: both devices verify the old chain, and the issuing CA (token key, the
  # same key) renewed under the new token root issues the new chain.
  p11_cacerts tk-cacerts-1 tkroll
  p11_verify "$s: overlap: device A verifies tkd1 (old chain)" tk-old-root.pem tkd1.pem tk-cacerts-1-links.pem
  p11_verify "$s: overlap: device B verifies tkd1 through OldWithNew" tk-new-root.pem tkd1.pem tk-cacerts-1-links.pem
  check "$s: ca renew of the token issuing CA (same token key) under the new root" \
    bash -c "'$e' ca renew --name tkissuing > '$WORK/tkissuing-1.pem'"
  check "$s: ... signed by the new token root" openssl verify -CAfile "$WORK/tk-new-root.pem" "$WORK/tkissuing-1.pem"
  p11_cacerts tk-cacerts-2 tkroll
  p11_enroll tkd2 tkroll boot
  p11_verify "$s: overlap: device B verifies tkd2, enrolled under the new token root chain" tk-new-root.pem tkd2.pem tk-cacerts-2-links.pem
  p11_verify "$s: overlap: device A verifies tkd2 through NewWithOld" tk-old-root.pem tkd2.pem tk-cacerts-2-links.pem
  check "$s: ... tkd2's issuer is the renewed issuing CA" openssl verify -partial_chain -CAfile "$WORK/tkissuing-1.pem" "$WORK/tkd2.pem"

  # A software issuing CA renewed onto a new token key (software -> token).
  check "$s: ca renew --new-key --pkcs11-key of a software CA (new key in the token)" \
    bash -c "'$e' ca renew --name soft --new-key --pkcs11-key 'pkcs11:token=est;id=%05' > '$WORK/soft-1.pem'"
  expect_eq "$s: ... the store: token URI current, the encrypted key kept as the earlier generation's" \
    "$(sqlite3 "$ESTFCGI_DB" "SELECT c.pkcs11_uri, c.encrypted_key IS NULL, g.encrypted_key IS NOT NULL, g.pkcs11_uri IS NULL
       FROM cas c JOIN ca_generations g ON g.ca_id = c.id WHERE c.name = 'soft'")" "pkcs11:token=est;id=%05|1|1|1"
  p11_cacerts tk-soft-cacerts tkrollsoft
  p11_enroll tkd3 tkrollsoft boot
  p11_verify "$s: device B verifies tkd3, signed by soft's new token key" tk-new-root.pem tkd3.pem tk-soft-cacerts-links.pem
  check "$s: ... whose certificate holds the token's key 05" openssl verify -partial_chain -CAfile "$WORK/soft-1.pem" "$WORK/tkd3.pem"

  # The end of the overlap.
  check "$s: ca rollover --finish" "$e" ca rollover --name tkroot --finish
  p11_cacerts tk-cacerts-3 tkroll
  check "$s: finished: the old root left /cacerts" bash -c "! grep -qxFf <(sed -n '2p' '$WORK/tk-old-root.pem') '$WORK/tk-cacerts-3.pem'"
  p11_verify "$s: finished: device B verifies tkd2" tk-new-root.pem tkd2.pem tk-cacerts-3-links.pem
  p11_enroll tkd1-1 tkroll tkd1 re tkd1
  p11_verify "$s: finished: tkd1 (old chain) re-enrolls into the new chain (B)" tk-new-root.pem tkd1-1.pem tk-cacerts-3-links.pem
  cat "$WORK/tk-cacerts-2-links.pem" "$WORK/tk-cacerts-3-links.pem" > "$WORK/tk-all-links.pem"
  p11_verify "$s: finished: device A verifies it with the NewWithOld it kept" tk-old-root.pem tkd1-1.pem tk-all-links.pem

  # Token -> software: the issuing CA onto a new software key, the root onto a software key.
  check "$s: ca renew --new-key of the token issuing CA (token -> software)" \
    bash -c "'$e' ca renew --name tkissuing --new-key > '$WORK/tkissuing-2.pem'"
  expect_eq "$s: ... the store: an encrypted key current, the token URI kept as the earlier generation's" \
    "$(sqlite3 "$ESTFCGI_DB" "SELECT c.pkcs11_uri IS NULL, c.encrypted_key IS NOT NULL, g.pkcs11_uri FROM cas c JOIN ca_generations g
       ON g.ca_id = c.id WHERE c.name = 'tkissuing' ORDER BY g.id DESC LIMIT 1")" "1|1|pkcs11:token=est;id=%02"
  out=$("$e" ca renew --name tkissuing --pkcs11-key 'pkcs11:token=est;id=%02' 2>&1)
  expect_contains "$s: a key once replaced does not come back (its CRLs have their own URL)" "$out" "names an earlier key of CA 'tkissuing'"
  p11_cacerts tk-cacerts-4 tkroll
  p11_enroll tkd4 tkroll boot
  p11_verify "$s: device B verifies tkd4 (software issuing key under the token root)" tk-new-root.pem tkd4.pem tk-cacerts-4-links.pem
  check "$s: ca rollover of the token root onto a software key (token -> software)" \
    bash -c "'$e' ca rollover --name tkroot --key ec-p256 > '$WORK/tk-rollover-2.pem'"
  csplit -s -z -f "$WORK/tk-r2-" "$WORK/tk-rollover-2.pem" '/BEGIN CERT/' '{*}'
  check "$s: ... NewWithOld is signed by the token root key" openssl verify -partial_chain -CAfile "$WORK/tk-new-root.pem" "$WORK/tk-r2-01"
  check "$s: ... OldWithNew by the new software key" openssl verify -partial_chain -CAfile "$WORK/tk-r2-00" "$WORK/tk-r2-02"
  "$e" ca create --name swroot --subject 'CN=Software Root,O=estfcgi test' >/dev/null
  "$e" ca export --name swroot > "$WORK/swroot.pem"
  check "$s: ca rollover of a software root onto a token key (software -> token)" \
    bash -c "'$e' ca rollover --name swroot --pkcs11-key 'pkcs11:token=est;id=%06' > '$WORK/sw-rollover.pem'"
  csplit -s -z -f "$WORK/sw-r-" "$WORK/sw-rollover.pem" '/BEGIN CERT/' '{*}'
  check "$s: ... NewWithNew is self-signed by the token key" openssl verify -CAfile "$WORK/sw-r-00" "$WORK/sw-r-00"
  check "$s: ... NewWithOld verifies with the old software root" openssl verify -partial_chain -CAfile "$WORK/swroot.pem" "$WORK/sw-r-01"
  nginx_stop
  check "$s: never a 500" bash -c "! grep -q 'status=500' '$WORK/nginx/estfcgi.log'"
  out=$("$e" audit --limit 100)
  expect_contains "$s: audit: the rollover names the token" "$out" "key in PKCS#11 token token=est"
}

# Operator policy through the shipped nginx front (sourced): HTTP authentication as a
# factor (RFC 7030 §3.2.3), the device registry, manual approval (§4.2.3, 202 then 200)
# and revocation publishing, with curl and openssl as the clients.

# policy_setup: the profiles and the password file the suites below use (the CLI writes
# while a responder may be serving: its cache follows the store's material version).
policy_setup() {
  local e=$ESTFCGI
  # One user a device, named by the CSR's CN; bcrypt, as the shipped comments advise.
  htpasswd -B -b -c "$WORK/htpasswd" dev-pw1 'pw-one-0001' 2>/dev/null
  htpasswd -B -b "$WORK/htpasswd" dev-pw2 'pw-two-0002' 2>/dev/null
  htpasswd -B -b "$WORK/htpasswd" dev-pw3 'pw-three-0004' 2>/dev/null
  htpasswd -B -b "$WORK/htpasswd" dev-both 'pw-both-0003' 2>/dev/null
  chmod 644 "$WORK/htpasswd"; chmod 711 "$WORK"  # the web servers' workers read it
  $e profile create --profile byod --issuer issuing --auth http --registration jit >/dev/null
  $e profile create --profile byod2 --issuer issuing --trust factory --auth cert+http >/dev/null
  $e profile create --profile byod-open --issuer issuing --auth http >/dev/null
  $e profile create --profile reg --issuer issuing --trust factory --registration preregistered >/dev/null
  $e profile create --profile jit --issuer issuing --trust factory --registration jit >/dev/null
  $e profile create --profile jit-r --issuer issuing --trust factory --registration jit --replaceable-enrollment >/dev/null
  $e profile create --profile uri --issuer issuing --trust factory --registration jit --device-id san-uri >/dev/null
  $e profile create --profile approve --issuer issuing --trust factory --approval manual --approval-retry-after 7 >/dev/null
  $e profile create --profile crlp --issuer issuing --trust factory --crl-url 'http://pki.example.com/crl/issuing.crl' >/dev/null
}

# serial_of PEM: the serial as the CLI prints it.
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# http_auth_checks PREFIX USER PASSWORD: the HTTP-authentication scenarios against $BASE
# (nginx or Apache), enrolling device USER.
http_auth_checks() {
  local s=$1 user=$2 pass=$3
  mkcsr "$user" ec-P-256 "/CN=$user/O=Example Devices"
  post /.well-known/est/byod/simpleenroll "$WORK/$user.csr" "" ""
  expect_eq "$s: --auth http without credentials -> 401" "$STATUS" 401
  expect_eq "$s: ... with a Basic challenge" "$(header WWW-Authenticate)" 'Basic realm="estfcgi"'
  est POST /.well-known/est/byod/simpleenroll -u "$user:wrong" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/$user.csr"
  expect_eq "$s: wrong password -> 401" "$STATUS" 401
  local before; before=$(issued_count)
  # curl --anyauth sends credentials only after a 401 names a scheme, as libest's estclient does.
  est POST /.well-known/est/byod/simpleenroll --anyauth -u "$user:$pass" -H 'Content-Type: application/pkcs10' \
    --data-binary "@$WORK/$user.csr"
  expect_eq "$s: per-device password, no client certificate -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/$user.pem"
  expect_contains "$s: ... for the device the user names" "$(openssl x509 -in "$WORK/$user.pem" -noout -subject)" "CN = $user"
  expect_contains "$s: ... recorded with the HTTP user as requester" "$("$ESTFCGI" cert show "$(serial_of "$WORK/$user.pem")" --json)" \
    "\"requester\" : \"http user $user\""
  mkcsr "$user-other" ec-P-256 "/CN=dev-pw2/O=Example Devices"
  est POST /.well-known/est/byod/simpleenroll -u "$user:$pass" -H 'Content-Type: application/pkcs10' \
    --data-binary "@$WORK/$user-other.csr"
  expect_eq "$s: a password enrolls its own device only -> 403" "$STATUS" 403
  expect_contains "$s: ... saying so" "$(cat "$WORK/resp.body")" "HTTP user $user may not enroll device dev-pw2"
  expect_eq "$s: one certificate issued" "$(issued_count)" $((before + 1))
  # Renewal: the certificate it got, through the same location (so with its password too).
  mkcsr "$user-renew" ec-P-256 "/CN=$user/O=Example Devices"
  est POST /.well-known/est/byod/simplereenroll -u "$user:$pass" --cert "$WORK/$user.pem" --key "$WORK/$user.key" \
    -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/$user-renew.csr"
  expect_eq "$s: re-enrollment with the certificate a password got -> 200" "$STATUS" 200
}

# crl_number FILE: the cRLNumber of a DER CRL, as openssl reads it.
crl_number() { openssl crl -inform DER -in "$1" -noout -crlnumber | cut -d= -f2 | sed "s/^0x//"; }

crl_checks() {
  local s=$1 e=$ESTFCGI out rc
  "$e" ca export --name issuing > "$WORK/issuing-chain.pem"
  est GET /.well-known/est/crlp/crl
  expect_eq "$s: GET crl before any CRL was published -> 404" "$STATUS" 404
  mkcsr c1 ec-P-256 "/CN=dev-c1/O=Example Devices"; mkcsr c2 ec-P-256 "/CN=dev-c2/O=Example Devices"
  post /.well-known/est/crlp/simpleenroll "$WORK/c1.csr" boot boot; p7certs "$WORK/resp.body" "$WORK/c1.pem"
  post /.well-known/est/crlp/simpleenroll "$WORK/c2.csr" boot boot; p7certs "$WORK/resp.body" "$WORK/c2.pem"
  expect_contains "$s: --crl-url puts the distribution point in issued certificates" \
    "$(openssl x509 -in "$WORK/c1.pem" -noout -ext crlDistributionPoints)" "URI:http://pki.example.com/crl/issuing.crl"

  out=$("$e" crl --ca issuing --out "$WORK/issuing-1.crl"); rc=$?
  expect_contains "$s: estfcgi crl --out" "$rc $out" "0 CRL "
  local first; first=$(crl_number "$WORK/issuing-1.crl")
  "$e" cert revoke "$(serial_of "$WORK/c1.pem")" --reason keyCompromise >/dev/null
  "$e" crl --ca issuing --pem --next-update 6 --out "$WORK/issuing-2.pem" >/dev/null
  openssl crl -in "$WORK/issuing-2.pem" -outform DER -out "$WORK/issuing-2.crl"
  expect_eq "$s: the CRL number increases" "$((16#$(crl_number "$WORK/issuing-2.crl")))" "$((16#$first + 1))"
  out=$(openssl crl -in "$WORK/issuing-2.pem" -noout -text)
  expect_contains "$s: the revoked serial is in the next CRL" "$out" "Serial Number: $(serial_of "$WORK/c1.pem")"
  expect_contains "$s: ... with its reason" "$out" "Key Compromise"
  expect_contains "$s: ... a v2 CRL with an authorityKeyIdentifier" "$out" "X509v3 Authority Key Identifier"
  check "$s: --next-update HOURS sets nextUpdate" test "$(( $(date -d "$(openssl crl -in "$WORK/issuing-2.pem" -noout -nextupdate | cut -d= -f2)" +%s) - $(date +%s) ))" -le 21600
  out=$(openssl crl -in "$WORK/issuing-2.pem" -noout -verify -CAfile "$WORK/issuing-chain.pem" 2>&1)
  expect_contains "$s: openssl crl -verify accepts it" "$out" "verify OK"
  out=$(openssl verify -crl_check -CAfile "$WORK/issuing-chain.pem" -CRLfile "$WORK/issuing-2.pem" "$WORK/c1.pem" 2>&1)
  expect_contains "$s: openssl verify -crl_check: the revoked certificate is revoked" "$out" "certificate revoked"
  check "$s: openssl verify -crl_check: the other one is OK" \
    openssl verify -crl_check -CAfile "$WORK/issuing-chain.pem" -CRLfile "$WORK/issuing-2.pem" "$WORK/c2.pem"

  est GET /.well-known/est/crlp/crl
  expect_eq "$s: GET /.well-known/est/LABEL/crl -> 200" "$STATUS" 200
  expect_eq "$s: ... as application/pkix-crl" "$(header Content-Type)" "application/pkix-crl"
  check "$s: ... the latest CRL, byte for byte" cmp "$WORK/resp.body" "$WORK/issuing-2.crl"
  est GET /.well-known/est/crl
  expect_eq "$s: the default profile serves its issuer's CRL too" "$STATUS" 200
  est POST /.well-known/est/crl -H 'Content-Type: application/pkcs10' --data-binary x
  expect_eq "$s: POST crl -> 405" "$STATUS" 405

  # The shipped timer's service, as systemd would run it (instance: the CA name).
  local unit=$ROOT/systemd/estfcgi-crl@.service cmd
  check "$s: the CRL timer is hourly" grep -qx 'OnCalendar=hourly' "$ROOT/systemd/estfcgi-crl@.timer"
  cmd=$(sed -n 's/^ExecStart=//p' "$unit" | sed -e "s#/usr/local/bin/estfcgi#$e#" -e 's#%i#issuing#g' \
        -e "s#/var/lib/estfcgi/crl/#$WORK/#")
  out=$($cmd); rc=$?
  expect_contains "$s: the timer's command publishes the next CRL" "$rc $out" "0 CRL $((16#$first + 2)) of CA 'issuing'"
  check "$s: ... to the file a static location serves" openssl crl -inform DER -in "$WORK/issuing.crl" -noout -verify -CAfile "$WORK/issuing-chain.pem"
  expect_eq "$s: ... readable by the web server" "$(stat -c %a "$WORK/issuing.crl")" 644
  ln -s "$WORK/issuing-1.crl" "$WORK/crl-link"; mkdir -p "$WORK/crl-dir"
  local before_number; before_number=$(crl_number "$WORK/issuing.crl")
  out=$("$e" crl --ca issuing --out "$WORK/crl-link" 2>&1); rc=$?
  expect_contains "$s: crl --out onto a symlink is refused" "$rc $out" "1 estfcgi: error: --out $WORK/crl-link exists and is not a regular file"
  out=$("$e" crl --ca issuing --out "$WORK/crl-dir" 2>&1); rc=$?
  expect_eq "$s: ... onto a directory too" "$rc" 1
  check "$s: ... leaving the link as it was" test -L "$WORK/crl-link"
  "$e" crl --ca issuing --out - > "$WORK/stdout.crl"
  expect_eq "$s: ... before spending a CRL number (--out - writes to stdout)" "$((16#$(crl_number "$WORK/stdout.crl")))" "$((16#$before_number + 1))"
  out=$("$e" crl --ca factory-nope 2>&1); rc=$?
  expect_eq "$s: crl for an unknown CA -> one error line" "$rc $out" "1 estfcgi: error: no CA named 'factory-nope'"
}

# crl_url_checks PREFIX: the CRL URL in a certificate keeps serving its issuer's CRL when
# the profile's issuer changes (RFC 5280 §4.2.1.13; issue 20 item 1), and doctor finds the
# certificates of a store where it did not.
crl_url_checks() {
  local s=$1 e=$ESTFCGI out rc m url
  "$e" ca create --name issuing-b --issuer root --subject 'CN=estfcgi Demo Issuing CA B,O=estfcgi demo' --path-len 0 \
    --days 1000 >/dev/null
  "$e" ca export --name issuing-b > "$WORK/issuing-b-chain.pem"
  "$e" ca export --name issuing > "$WORK/issuing-chain.pem"
  "$e" profile create --profile crlmv --issuer issuing --trust factory --crl-url "$BASE/.well-known/est/crlmv/crl" >/dev/null
  mkcsr m1 ec-P-256 "/CN=dev-m1/O=Example Devices"
  post /.well-known/est/crlmv/simpleenroll "$WORK/m1.csr" boot boot; p7certs "$WORK/resp.body" "$WORK/m1.pem"
  out=$("$e" profile update --profile crlmv --issuer issuing-b 2>&1); rc=$?
  expect_contains "$s: a new issuer under a --crl-url that names no CA is refused" "$rc $out" \
    "1 estfcgi: error: profile crlmv: certificates of CA 'issuing' carry --crl-url $BASE/.well-known/est/crlmv/crl"
  out=$("$e" profile update --profile crlmv --issuer issuing-b --crl-url "$BASE/.well-known/est/crlmv/crl" 2>&1); rc=$?
  expect_eq "$s: ... also when the same URL is given again" "$rc" 1
  out=$("$e" profile update --profile crlmv --issuer issuing-b --crl-url "$BASE/.well-known/est/crl/{ca}" 2>&1); rc=$?
  expect_eq "$s: ... and taken with a --crl-url naming the CA ({ca})" "$rc" 0
  expect_contains "$s: ... /LABEL/crl stays with the former issuer" "$("$e" profile show --profile crlmv --json)" '"crl_ca" : "issuing"'
  mkcsr m2 ec-P-256 "/CN=dev-m2/O=Example Devices"
  post /.well-known/est/crlmv/simpleenroll "$WORK/m2.csr" boot boot; p7certs "$WORK/resp.body" "$WORK/m2.pem"
  expect_contains "$s: {ca} names the issuing CA in the new certificates" \
    "$(openssl x509 -in "$WORK/m2.pem" -noout -ext crlDistributionPoints)" "URI:$BASE/.well-known/est/crl/issuing-b"
  "$e" cert revoke "$(serial_of "$WORK/m1.pem")" --reason keyCompromise >/dev/null
  "$e" cert revoke "$(serial_of "$WORK/m2.pem")" --reason superseded >/dev/null
  "$e" crl --ca issuing >/dev/null; "$e" crl --ca issuing-b >/dev/null
  # Each certificate's own distribution point, fetched as a relying party would, lists it.
  for m in m1:issuing m2:issuing-b; do
    url=$(openssl x509 -in "$WORK/${m%%:*}.pem" -noout -ext crlDistributionPoints | sed -n 's/^ *URI://p')
    curl -sS --cacert "$WORK/tls-ca.pem" -o "$WORK/${m%%:*}.crl" "$url"
    openssl crl -inform DER -in "$WORK/${m%%:*}.crl" -out "$WORK/${m%%:*}-crl.pem" 2>/dev/null
    out=$(openssl verify -crl_check -CAfile "$WORK/${m#*:}-chain.pem" -CRLfile "$WORK/${m%%:*}-crl.pem" "$WORK/${m%%:*}.pem" 2>&1)
    expect_contains "$s: ${m%%:*}'s CRL URL serves the CRL of its issuer ${m#*:}, which lists it" "$out" "certificate revoked"
  done
  est GET /.well-known/est/crl/no-such-ca
  expect_eq "$s: /crl/{CA} of an unknown CA -> 404" "$STATUS" 404
  est GET '/.well-known/est/crl/bad%20name'
  expect_eq "$s: /crl/{CA} with a name no URL carries -> 404" "$STATUS" 404

  # A store where the issuer changed under a URL naming no CA (as the earlier release let
  # happen): doctor names the URL and the certificates it cannot list.
  "$e" profile create --profile crlold --issuer issuing --trust factory --crl-url "$BASE/.well-known/est/crlold/crl" >/dev/null
  mkcsr o1 ec-P-256 "/CN=dev-o1/O=Example Devices"
  post /.well-known/est/crlold/simpleenroll "$WORK/o1.csr" boot boot; p7certs "$WORK/resp.body" "$WORK/o1.pem"
  sqlite3 "$ESTFCGI_DB" "UPDATE profiles SET issuer_ca_id = (SELECT id FROM cas WHERE name = 'issuing-b') WHERE label = 'crlold'"
  mkcsr o2 ec-P-256 "/CN=dev-o2/O=Example Devices"
  post /.well-known/est/crlold/simpleenroll "$WORK/o2.csr" boot boot; p7certs "$WORK/resp.body" "$WORK/o2.pem"
  out=$("$e" doctor 2>&1); rc=$?
  expect_contains "$s: doctor FAILs a CRL URL that cannot list the certificates carrying it" "$rc $out" "1 "
  expect_contains "$s: ... naming the URL, the CA it serves and the CAs of the certificates" "$out" \
    "FAIL  crl url $BASE/.well-known/est/crlold/crl  serves the CRL of CA 'issuing-b', but valid certificates of other CAs carry it (1 of CA 'issuing', 1 of CA 'issuing-b')"
  # Leave the store healthy for the suites after this one.
  "$e" cert revoke "$(serial_of "$WORK/o1.pem")" >/dev/null; "$e" profile delete --profile crlold >/dev/null
  out=$("$e" doctor 2>&1)
  expect_eq "$s: ... and no longer once they are revoked" "$(printf '%s\n' "$out" | grep -c 'FAIL  crl url')" 0
}

suite_policy() {
  SUITE=policy
  policy_setup
  if ! nginx_start; then not_ok "policy: front and responder start"; nginx_stop; return; fi
  ok "policy: front and responder start"
  BASE=https://127.0.0.1:$NGINX_PORT
  local s=policy-nginx e=$ESTFCGI out rc before

  # --- HTTP authentication (RFC 7030 §3.2.3) -------------------------------------------
  http_auth_checks "$s" dev-pw1 pw-one-0001

  # One spelling per name (README, operator policy): htpasswd and the store compare bytes,
  # so a user or device whose name is another Unicode spelling (NFD) of the CSR's is refused.
  local nfc3 nfd3 nfc4 nfd4
  nfc3=$(printf 'caf\xc3\xa9-03'); nfd3=$(printf 'cafe\xcc\x81-03')
  nfc4=$(printf 'caf\xc3\xa9-04'); nfd4=$(printf 'cafe\xcc\x81-04')
  htpasswd -B -b "$WORK/htpasswd" "$nfd3" 'pw-nfd-0005' 2>/dev/null
  htpasswd -B -b "$WORK/htpasswd" "$nfc4" 'pw-nfc-0006' 2>/dev/null
  # A registration stored before the rule, as NFD bytes (device add now refuses them).
  check "$s: a registration stored as NFD bytes (as before the rule)" sqlite3 "$ESTFCGI_DB" \
    "INSERT INTO devices (kind, name, profile, source, created_at) VALUES ('cn', CAST(X'$(printf %s "$nfd4" | xxd -p)' AS TEXT), 'byod', 'operator', '2026-01-01T00:00:00Z')"
  before=$(issued_count)
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -utf8 -subj "/CN=$nfc3" -keyout "$WORK/nfc3.key" \
    -out "$WORK/nfc3.csr" 2>/dev/null
  est POST /.well-known/est/byod/simpleenroll -u "$nfd3:pw-nfd-0005" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/nfc3.csr"
  expect_eq "$s: an HTTP user in NFD enrolling the device's NFC name -> 403" "$STATUS" 403
  expect_contains "$s: ... saying why" "$(cat "$WORK/resp.body")" "HTTP user name is not UTF-8 in Unicode NFC"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -utf8 -subj "/CN=$nfd4" -keyout "$WORK/nfd4.key" \
    -out "$WORK/nfd4.csr" 2>/dev/null
  est POST /.well-known/est/byod/simpleenroll -u "$nfc4:pw-nfc-0006" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/nfd4.csr"
  expect_eq "$s: an HTTP user in NFC enrolling the device registered in NFD -> 403" "$STATUS" 403
  expect_contains "$s: ... saying why" "$(cat "$WORK/resp.body")" "HTTP user $nfc4 may not enroll device $nfd4"
  expect_eq "$s: ... nothing issued to either" "$(issued_count)" "$before"
  out=$("$e" device add --profile byod "$nfd3" 2>&1); rc=$?
  expect_eq "$s: device add refuses a name in NFD" "$rc" 1
  expect_contains "$s: ... saying why" "$out" "device name is not UTF-8 in Unicode NFC"
  expect_eq "$s: ... and registers nothing" "$(sqlite3 "$ESTFCGI_DB" "SELECT count(*) FROM devices WHERE name = CAST(X'$(printf %s "$nfd3" | xxd -p)' AS TEXT)")" 0

  # A profile that takes HTTP authentication, reached through a location that does none:
  # nginx still passes the client's unchecked user name (Debian's fastcgi_params sends
  # $remote_user everywhere), but no AUTH_TYPE, so the responder challenges itself.
  mkcsr pw2 ec-P-256 "/CN=dev-pw2/O=Example Devices"
  est POST /.well-known/est/byod-open/simpleenroll -u 'dev-pw2:anything' -H 'Content-Type: application/pkcs10' \
    --data-binary "@$WORK/pw2.csr"
  expect_eq "$s: a user name no web server checked is no credential -> 401" "$STATUS" 401
  expect_eq "$s: ... the responder's own 401 challenges for Basic" "$(header WWW-Authenticate)" 'Basic realm="estfcgi"'
  expect_contains "$s: ... and says what is missing" "$(cat "$WORK/resp.body")" "HTTP authentication required"
  post /.well-known/est/simpleenroll "$WORK/pw2.csr" "" ""
  expect_eq "$s: a certificate-only profile's 401 carries no Basic challenge" "$(header WWW-Authenticate)" ""

  # cert+http: both factors.
  mkcsr both ec-P-256 "/CN=dev-both/O=Example Devices"
  est POST /.well-known/est/byod2/simpleenroll -u 'dev-both:pw-both-0003' -H 'Content-Type: application/pkcs10' \
    --data-binary "@$WORK/both.csr"
  expect_eq "$s: cert+http with a password only -> 401" "$STATUS" 401
  expect_contains "$s: ... asking for the certificate" "$(cat "$WORK/resp.body")" "client certificate required"
  est POST /.well-known/est/byod2/simpleenroll --cert "$WORK/boot.pem" --key "$WORK/boot.key" \
    -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/both.csr"
  expect_eq "$s: cert+http with a certificate only -> 401" "$STATUS" 401
  est POST /.well-known/est/byod2/simpleenroll --cert "$WORK/rogue.pem" --key "$WORK/rogue.key" -u 'dev-both:pw-both-0003' \
    -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/both.csr"
  expect_eq "$s: cert+http with a password and an untrusted certificate -> 403" "$STATUS" 403
  est POST /.well-known/est/byod2/simpleenroll --cert "$WORK/boot.pem" --key "$WORK/boot.key" -u 'dev-both:pw-both-0003' \
    -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/both.csr"
  expect_eq "$s: cert+http with both -> 200" "$STATUS" 200
  # A change of --auth reaches the next request, though the responder admits a request before
  # its body on the settings it last read (a location without auth_basic: its 401s are the
  # responder's). One it let on is refused after the body, challenging on current settings...
  $e profile create --profile authflip --issuer issuing --trust factory --auth cert >/dev/null
  mkcsr flip ec-P-256 "/CN=dev-flip/O=Example Devices"
  post /.well-known/est/authflip/simpleenroll "$WORK/flip.csr" boot boot
  expect_eq "$s: --auth cert, a certificate -> 200" "$STATUS" 200
  $e profile update --profile authflip --auth cert+http >/dev/null
  post /.well-known/est/authflip/simpleenroll "$WORK/flip.csr" boot boot
  expect_eq "$s: ... changed to cert+http: the next request with a certificate only -> 401" "$STATUS" 401
  expect_eq "$s: ... challenging for Basic" "$(header WWW-Authenticate)" 'Basic realm="estfcgi"'
  expect_contains "$s: ... saying what is missing" "$(cat "$WORK/resp.body")" "HTTP authentication required"
  # ... and one it would refuse is decided on current settings.
  $e profile update --profile authflip --auth cert >/dev/null
  post /.well-known/est/authflip/simpleenroll "$WORK/flip.csr" boot boot
  expect_eq "$s: ... changed back to cert -> 200" "$STATUS" 200

  # --- Device registry ----------------------------------------------------------------
  mkcsr r1 ec-P-256 "/CN=dev-r1/O=Example Devices"
  post /.well-known/est/reg/simpleenroll "$WORK/r1.csr" boot boot
  expect_eq "$s: preregistered profile, unknown device -> 403" "$STATUS" 403
  expect_contains "$s: ... 'device not registered'" "$(cat "$WORK/resp.body")" "device not registered"
  printf '# devices of batch 7\ndev-r1\n\ndev-r2\r\ndev-r3\ndev-r1\n' > "$WORK/devices.txt"
  out=$("$e" device add --profile reg --from "$WORK/devices.txt" dev-r4)
  expect_eq "$s: device add from a file, with a summary" "$out" \
    "added 4 device(s) to profile reg; 0 already registered there; 0 registered under another profile"
  out=$("$e" device add --profile reg dev-r1 dev-r5)
  expect_contains "$s: device add says what was already there" "$out" "added 1 device(s) to profile reg; 1 already registered there"
  post /.well-known/est/reg/simpleenroll "$WORK/r1.csr" boot boot
  expect_eq "$s: registered device -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/r1.pem"
  mkcsr r1b ec-P-256 "/CN=dev-r1/O=Example Devices"
  post /.well-known/est/reg/simpleenroll "$WORK/r1b.csr" boot boot
  expect_eq "$s: a second simpleenroll of an enrolled device -> 403" "$STATUS" 403
  expect_contains "$s: ... pointing at simplereenroll" "$(cat "$WORK/resp.body")" "device already enrolled, use simplereenroll"
  post /.well-known/est/reg/simplereenroll "$WORK/r1b.csr" r1 r1
  expect_eq "$s: ... and simplereenroll works -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/r1b.pem"
  mkcsr j1 ec-P-256 "/CN=dev-r2/O=Example Devices"
  post /.well-known/est/jit/simpleenroll "$WORK/j1.csr" boot boot
  expect_eq "$s: a device registered under one profile cannot enroll under another -> 403" "$STATUS" 403
  expect_contains "$s: ... naming its profile" "$(cat "$WORK/resp.body")" "registered under profile reg"

  mkcsr j2 ec-P-256 "/CN=dev-j2/O=Example Devices"
  post /.well-known/est/jit/simpleenroll "$WORK/j2.csr" boot boot
  expect_eq "$s: jit profile enrolls an unknown device -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/j2.pem"
  out=$("$e" device list --profile jit --json)
  expect_eq "$s: ... and records it (device list)" \
    "$(printf %s "$out" | python3 -c 'import json,sys; print([(d["device"], d["source"], d["status"]) for d in json.load(sys.stdin)])')" \
    "[('dev-j2', 'jit', 'active')]"
  out=$("$e" device show dev-j2 --json)
  expect_eq "$s: device show lists its certificate" \
    "$(printf %s "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["profile"], [c["serial"] for c in d["certificates"]])')" \
    "jit ['$("$e" cert list --device dev-j2 | cut -f1)']"

  # Two first enrollments of one new device at the same instant: one certificate.
  mkcsr j3a ec-P-256 "/CN=dev-j3/O=Example Devices"; mkcsr j3b ec-P-256 "/CN=dev-j3/O=Example Devices"
  local i pids=(); rm -f "$WORK/j3.codes"
  for i in a b a b a b; do
    curl -sS --max-time 20 -o /dev/null -w '%{http_code}\n' --cacert "$WORK/tls-ca.pem" --cert "$WORK/boot.pem" \
      --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/j3$i.csr" \
      "$BASE/.well-known/est/jit/simpleenroll" >> "$WORK/j3.codes" & pids+=($!)
  done
  wait "${pids[@]}"
  expect_eq "$s: six enrollments of one new device at once: one 200, five 403" "$(sort "$WORK/j3.codes" | uniq -c | xargs)" \
    "1 200 5 403"
  expect_eq "$s: ... one certificate recorded for it" "$("$e" cert list --device dev-j3 | wc -l)" 1

  # --replaceable-enrollment: enrolling again supersedes what the device holds.
  mkcsr x1 ec-P-256 "/CN=dev-x1/O=Example Devices"; mkcsr x2 ec-P-256 "/CN=dev-x1/O=Example Devices"
  post /.well-known/est/jit-r/simpleenroll "$WORK/x1.csr" boot boot
  p7certs "$WORK/resp.body" "$WORK/x1.pem"
  post /.well-known/est/jit-r/simpleenroll "$WORK/x2.csr" boot boot
  expect_eq "$s: --replaceable-enrollment: a second simpleenroll -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/x2.pem"
  out=$("$e" cert show "$(serial_of "$WORK/x1.pem")" --json)
  expect_contains "$s: ... revokes the certificate it replaces" "$out" '"status" : "revoked"'
  expect_contains "$s: ... as superseded" "$out" '"revocation_reason" : "superseded"'
  mkcsr x3 ec-P-256 "/CN=dev-x1/O=Attacker"
  post /.well-known/est/jit-r/simpleenroll "$WORK/x3.csr" boot-rsa boot-rsa
  expect_eq "$s: ... but not with another bootstrap certificate -> 403" "$STATUS" 403
  expect_contains "$s: ... which leaves the device's certificate valid" "$("$e" cert show "$(serial_of "$WORK/x2.pem")" --json)" '"status" : "valid"'

  # A profile without a registry is not bound by a registration someone made elsewhere.
  mkcsr v1 ec-P-256 "/CN=dev-v1/O=Example Devices"
  post /.well-known/est/simpleenroll "$WORK/v1.csr" boot boot; p7certs "$WORK/resp.body" "$WORK/v1.pem"
  mkcsr v1-taken ec-P-256 "/CN=dev-v1/O=Attacker"
  post /.well-known/est/jit/simpleenroll "$WORK/v1-taken.csr" boot-rsa boot-rsa
  mkcsr v1b ec-P-256 "/CN=dev-v1/O=Example Devices"
  post /.well-known/est/simplereenroll "$WORK/v1b.csr" v1 v1
  expect_eq "$s: a jit registration elsewhere does not lock a device out of a registry-less profile" "$STATUS" 200
  out=$("$e" device remove dev-v1)
  expect_eq "$s: device remove" "$out" "removed device dev-v1"
  expect_eq "$s: ... forgets it" "$("$e" device show dev-v1 2>&1)" "estfcgi: error: no device dev-v1"

  # A disabled device is refused everywhere: renewal, and first enrollment under any profile.
  out=$("$e" device disable dev-j2 --reason "stolen")
  expect_eq "$s: device disable" "$out" "disabled device dev-j2"
  mkcsr j2b ec-P-256 "/CN=dev-j2/O=Example Devices"
  post /.well-known/est/jit/simplereenroll "$WORK/j2b.csr" j2 j2
  expect_eq "$s: disabled device: simplereenroll -> 403" "$STATUS" 403
  expect_contains "$s: ... saying it is disabled" "$(cat "$WORK/resp.body")" "device dev-j2 is disabled"
  post /.well-known/est/simpleenroll "$WORK/j2b.csr" boot boot
  expect_eq "$s: disabled device: simpleenroll under a profile without a registry -> 403" "$STATUS" 403
  "$e" device enable dev-j2 >/dev/null
  post /.well-known/est/jit/simplereenroll "$WORK/j2b.csr" j2 j2
  expect_eq "$s: device enable lifts it -> 200" "$STATUS" 200
  out=$("$e" device disable nosuch 2>&1); rc=$?
  expect_eq "$s: disabling an unknown device -> one error line" "$rc $out" "1 estfcgi: error: no device nosuch"

  # A device is its kind and its name: a SAN URI registered on a --device-id san-uri
  # profile, or disabled, says nothing of the same text as a CN (issue 20 item 6).
  mkcsr k1 ec-P-256 "/CN=sensor-k1/O=Example Devices" "URI:dev-k1"
  post /.well-known/est/uri/simpleenroll "$WORK/k1.csr" boot boot
  expect_eq "$s: a SAN URI device under a --device-id san-uri profile -> 200" "$STATUS" 200
  mkcsr k1cn ec-P-256 "/CN=dev-k1/O=Example Devices"
  post /.well-known/est/jit/simpleenroll "$WORK/k1cn.csr" boot-rsa boot-rsa
  expect_eq "$s: ... another bootstrap holder's CN of the same text under a CN-keyed profile -> 200" "$STATUS" 200
  out=$("$e" device list --json)
  expect_contains "$s: ... two devices of one text, one of each kind" \
    "$(printf %s "$out" | python3 -c 'import json,sys; print(sorted((d["device"], d["kind"], d["profile"]) for d in json.load(sys.stdin) if d["device"] == "dev-k1"))')" \
    "[('dev-k1', 'cn', 'jit'), ('dev-k1', 'san-uri', 'uri')]"
  out=$("$e" device disable dev-k1 2>&1); rc=$?
  expect_eq "$s: device disable of a text registered as two kinds asks which" "$rc $out" \
    "1 estfcgi: error: device dev-k1 is registered as cn and san-uri: give --kind"
  out=$("$e" device disable dev-k1 --kind san-uri --reason lost); rc=$?
  expect_eq "$s: device disable --kind san-uri" "$rc $out" "0 disabled device dev-k1"
  mkcsr k1u ec-P-256 "/CN=sensor-k1/O=Example Devices" "URI:dev-k1"
  post /.well-known/est/uri/simpleenroll "$WORK/k1u.csr" boot boot
  expect_eq "$s: ... refuses the URI device" "$STATUS" 403
  mkcsr k1cn2 ec-P-256 "/CN=dev-k1/O=Example Devices"
  post /.well-known/est/simpleenroll "$WORK/k1cn2.csr" boot boot
  expect_eq "$s: ... and not the CN of the same text, under a profile without a registry -> 200" "$STATUS" 200

  # --- Manual approval (RFC 7030 §4.2.3) ------------------------------------------------
  mkcsr ap1 ec-P-384 "/CN=dev-ap1/O=Example Devices"
  before=$(issued_count)
  post /.well-known/est/approve/simpleenroll "$WORK/ap1.csr" boot boot
  expect_eq "$s: --approval manual: simpleenroll -> 202" "$STATUS" 202
  expect_eq "$s: ... with Retry-After" "$(header Retry-After)" 7
  local id; id=$(sed -n 's/^request \([0-9]*\) awaits.*/\1/p' "$WORK/resp.body")
  check "$s: ... naming the request" test -n "$id"
  post /.well-known/est/approve/simpleenroll "$WORK/ap1.csr" boot boot
  expect_eq "$s: the same request again before approval -> 202" "$STATUS" 202
  expect_contains "$s: ... the same pending request" "$(cat "$WORK/resp.body")" "request $id awaits"
  out=$("$e" request list)
  expect_eq "$s: request list: one pending, with device, profile, key type and age" \
    "$(printf '%s\n' "$out" | awk -F'\t' '{print $1, $2, $3, $4, $5, $6, ($7 ~ /^[0-9]+[smhd]$/)}')" \
    "$id pending approve simpleenroll dev-ap1 ec-p384 1"
  expect_eq "$s: nothing issued while pending" "$(issued_count)" "$before"
  out=$("$e" request approve "$id")
  expect_contains "$s: request approve" "$out" "approved request $id"
  post /.well-known/est/approve/simpleenroll "$WORK/ap1.csr" boot-rsa boot-rsa
  expect_eq "$s: the same CSR from other credentials is a request of their own -> 202" "$STATUS" 202
  check "$s: ... not the approved one" bash -c "! grep -q 'request $id ' '$WORK/resp.body'"
  post /.well-known/est/approve/simpleenroll "$WORK/ap1.csr" boot boot
  expect_eq "$s: the same request after approval -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/ap1.pem"
  check "$s: ... the certificate for the CSR's key" \
    cmp <(openssl x509 -in "$WORK/ap1.pem" -noout -pubkey) <(openssl pkey -in "$WORK/ap1.key" -pubout)
  expect_eq "$s: ... the request is answered (issued, with its serial)" \
    "$("$e" request show "$id" --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["status"], r["serial"])')" \
    "issued $(serial_of "$WORK/ap1.pem" | tr A-F a-f | sed 's/^0*//')"
  post /.well-known/est/approve/simpleenroll "$WORK/ap1.csr" boot boot
  expect_eq "$s: an approval is spent by its certificate: the CSR again waits anew -> 202" "$STATUS" 202
  mkcsr ap2 ec-P-256 "/CN=dev-ap2/O=Example Devices"
  post /.well-known/est/approve/simpleenroll "$WORK/ap2.csr" boot boot
  local id2; id2=$(sed -n 's/^request \([0-9]*\) awaits.*/\1/p' "$WORK/resp.body")
  "$e" request reject "$id2" --reason "not one of ours" >/dev/null
  post /.well-known/est/approve/simpleenroll "$WORK/ap2.csr" boot boot
  expect_eq "$s: a rejected request -> 403" "$STATUS" 403
  expect_eq "$s: ... with the operator's reason" "$(cat "$WORK/resp.body")" "request $id2 was rejected: not one of ours"
  out=$("$e" request approve "$id2" 2>&1); rc=$?
  expect_eq "$s: a decided request cannot be approved" "$rc $out" "1 estfcgi: error: request $id2 is rejected, not pending"
  sleep 0.3
  expect_eq "$s: the audit says pending, ok, refused" \
    "$(sqlite3 "$ESTFCGI_DB" "SELECT group_concat(status || ':' || outcome, ' ') FROM (SELECT status, outcome FROM audit WHERE profile = 'approve' AND status IS NOT NULL ORDER BY id)")" \
    "202:pending 202:pending 202:pending 200:ok 202:pending 202:pending 403:refused"

  # --- Revocation publishing (RFC 5280 §5) -----------------------------------------------
  crl_checks "$s"
  crl_url_checks "$s"

  expect_contains "$s: the log line names the HTTP user" "$(cat "$WORK/nginx/estfcgi.log")" \
    'op=simpleenroll profile=byod client="(http user dev-pw1)" status=200'
  nginx_stop
}

# Builds a demo/test store in $WORK (sourced). Afterwards:
#   $WORK/ca.db, $WORK/passphrase            the store and its key passphrase
#   $WORK/tls-ca.pem, server.pem/.key        the web server's TLS identity (not EST's)
#   $WORK/boot.pem/.key                      a factory bootstrap certificate (trusted for enrollment)
#   $WORK/boot-rsa.pem/.key                  the same with an RSA key
#   $WORK/boot-revoked.pem/.key              a bootstrap certificate revoked in the store
#   $WORK/rogue.pem/.key                     a self-signed certificate nobody trusts
# Profiles: default (trust factory), iot (EC keys only, revoke on re-enroll, own cacerts set),
#           strict (re-enroll only within 7 days of expiry), factory (mints bootstrap certs offline),
#           keygen-ec / keygen-rsa (serverkeygen), keygen-enc (serverkeygen, always encrypted),
#           attrs (csrattrs, enforced).
pki_setup() {
  mkdir -p "$WORK"
  export ESTFCGI_DB=$WORK/ca.db ESTFCGI_KEY_PASSPHRASE_FILE=$WORK/passphrase
  head -c 24 /dev/urandom | base64 > "$WORK/passphrase"
  chmod 600 "$WORK/passphrase"
  local e=$ESTFCGI
  $e init >/dev/null
  $e ca create --name root --subject 'CN=estfcgi Demo Root,O=estfcgi demo' --key ec-p384 --days 3650 >/dev/null
  $e ca create --name issuing --issuer root --subject 'CN=estfcgi Demo Issuing CA,O=estfcgi demo' --path-len 0 --days 1825 >/dev/null
  $e ca create --name factory --subject 'CN=Example Factory Bootstrap CA,O=Example Devices' --days 3650 >/dev/null
  $e profile create --profile factory --issuer factory --validity-days 3650 >/dev/null
  $e profile create --default --issuer issuing --trust factory >/dev/null
  $e profile create --profile iot --issuer issuing --trust factory --key-types ec --revoke-on-reenroll \
     --validity-days 30 --cacerts issuing,root --eku clientAuth,serverAuth >/dev/null
  $e profile create --profile strict --issuer issuing --trust factory --reenroll-window-days 7 >/dev/null
  $e profile create --profile keygen-ec --issuer issuing --trust factory --serverkeygen ec-p256 >/dev/null
  $e profile create --profile keygen-rsa --issuer issuing --trust factory --serverkeygen rsa-2048 >/dev/null
  $e profile create --profile keygen-enc --issuer issuing --trust factory --serverkeygen ec-p384 --serverkeygen-encrypt >/dev/null
  $e profile create --profile attrs --issuer issuing --trust factory --enforce-csrattrs \
     --csrattrs challengePassword,macAddress,ec-p384,ecdsa-with-SHA384,san-dns >/dev/null

  # The web server's own TLS certificate (operators bring theirs).
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj '/CN=estfcgi test TLS CA' \
    -keyout "$WORK/tls-ca.key" -out "$WORK/tls-ca.pem" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=localhost' \
    -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$WORK/server.ext"
  openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/tls-ca.pem" -CAkey "$WORK/tls-ca.key" -CAcreateserial \
    -days 30 -extfile "$WORK/server.ext" -out "$WORK/server.pem" 2>/dev/null

  # Factory bootstrap identities, minted offline through the same policy code.
  local name keyopt
  for name in boot boot-revoked boot-rsa; do
    keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
    [ $name = boot-rsa ] && keyopt=(-newkey rsa:2048)
    openssl req -new "${keyopt[@]}" -nodes -subj "/CN=$name-0001/O=Example Devices" \
      -keyout "$WORK/$name.key" -out "$WORK/$name.csr" 2>/dev/null
    $e cert issue --profile factory --csr "$WORK/$name.csr" > "$WORK/$name.pem"
  done
  $e cert revoke "$(openssl x509 -in "$WORK/boot-revoked.pem" -noout -serial | cut -d= -f2)" --reason keyCompromise >/dev/null
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj '/CN=rogue' \
    -keyout "$WORK/rogue.key" -out "$WORK/rogue.pem" 2>/dev/null
}

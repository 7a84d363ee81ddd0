#!/usr/bin/env bash
# Builds the "store-v2" fixture: a CA store made by the OLD estfcgi at git commit c29d8b2
# (store schema version 2), using every stored feature, and the CLI outputs that old code
# prints for it (expected/). A later test opens a COPY of ca.db with newer code, migrates
# it, and checks that every row and behaviour survived.
#
# The files next to this script are its committed output: do not regenerate them with
# newer code. To rerun it (to understand or extend the fixture), with the old binary:
#
#   git clone <estfcgi repo> /tmp/old && git -C /tmp/old checkout c29d8b2
#   (cd /tmp/old && swift build)
#   ESTFCGI=/tmp/old/.build/debug/estfcgi Tests/Fixtures/store-v2/make.sh /tmp/store-v2
#
# DIR must not already hold a ca.db. Serials, keys and timestamps are random/current, so a
# rerun gives a different (equivalent) fixture, not the committed bytes.
#
#   ESTFCGI=... make.sh --expected DIR OUTDIR
#
# only re-prints the expected CLI outputs of the store in DIR into OUTDIR (read-only on the
# store; used to check that the outputs are stable: diff -r DIR/expected OUTDIR).
#
# Needs bash, openssl 3, sqlite3, python3 (standard library only) and cgi-fcgi (Debian
# package libfcgi-bin). The responder is started for the EST requests on
# 127.0.0.1:${ESTFCGI_FIXTURE_PORT:-29471} and stopped with SIGTERM.
#
# Store passphrase (ESTFCGI_KEY_PASSPHRASE_FILE): the file `passphrase`, which holds
# fixture-passphrase-0001. Every certificate is valid until after 2036 (validity 5000
# days, CAs 7000-7300 days) so that no status turns 'expired' and expected/ stays stable
# until then. Profiles `iot` (90 days) and `plain` (365 days, all defaults) therefore have
# no issued certificate.
set -euo pipefail

: "${ESTFCGI:?set ESTFCGI=/path/to/old/estfcgi (built from commit c29d8b2)}"
PORT=${ESTFCGI_FIXTURE_PORT:-29471}

die() { echo "make.sh: $*" >&2; exit 1; }
e() { "$ESTFCGI" "$@"; }

# ---------------------------------------------------------------------------------------
# Expected outputs of the old CLI for the store $1 (absolute), written into $2.
expected_outputs() {
  local db=$1 out=$2 name serial label
  mkdir -p "$out"
  export ESTFCGI_DB=$db ESTFCGI_KEY_PASSPHRASE_FILE=$(dirname "$db")/passphrase
  e ca list --json > "$out/ca-list.json"
  e ca list > "$out/ca-list.txt"
  for name in $(sqlite3 "$db" 'SELECT name FROM cas ORDER BY id'); do
    e ca export --name "$name" > "$out/ca-export-$name.pem"
  done
  e profile list --json > "$out/profile-list.json"
  e profile list > "$out/profile-list.txt"
  e profile show --default --json > "$out/profile-show-default.json"
  for label in $(sqlite3 "$db" 'SELECT label FROM profiles WHERE label IS NOT NULL ORDER BY label'); do
    e profile show --aps "$label" --json > "$out/profile-show-$label.json"
  done
  e cert list --json > "$out/cert-list.json"
  e cert list > "$out/cert-list.txt"
  e cert list --status valid > "$out/cert-list-valid.txt"
  e cert list --status revoked > "$out/cert-list-revoked.txt"
  e cert list --status expired > "$out/cert-list-expired.txt"
  e cert list --default > "$out/cert-list-default.txt"
  for label in $(sqlite3 "$db" 'SELECT DISTINCT profile FROM certificates WHERE profile IS NOT NULL ORDER BY profile'); do
    e cert list --profile "$label" > "$out/cert-list-profile-$label.txt"
  done
  for serial in $(sqlite3 "$db" 'SELECT serial FROM certificates ORDER BY id'); do
    e cert show "$serial" --json > "$out/cert-show-$serial.json"
  done
  e audit --json --limit 100000 > "$out/audit.json"
  e audit --limit 100000 > "$out/audit.txt"
  sqlite3 -separator $'\t' "$db" > "$out/counts.txt" <<'SQL'
SELECT 'schema_version', max(version) FROM schema_version;
SELECT 'cas', count(*) FROM cas;
SELECT 'cas_with_key', count(*) FROM cas WHERE encrypted_key IS NOT NULL;
SELECT 'cas_trust_only', count(*) FROM cas WHERE encrypted_key IS NULL;
SELECT 'cas_with_chain', count(*) FROM cas WHERE chain_pem <> '';
SELECT 'cas_disabled', count(*) FROM cas WHERE status = 'disabled';
SELECT 'profiles', count(*) FROM profiles;
SELECT 'profiles_default', count(*) FROM profiles WHERE label IS NULL;
SELECT 'certificates', count(*) FROM certificates;
SELECT 'certificates_valid', count(*) FROM certificates WHERE status = 'valid';
SELECT 'certificates_revoked', count(*) FROM certificates WHERE status = 'revoked';
SELECT 'certificates_revoked_' || revocation_reason, count(*) FROM certificates WHERE status = 'revoked' GROUP BY revocation_reason ORDER BY revocation_reason;
SELECT 'certificates_replacing', count(*) FROM certificates WHERE replaces_id IS NOT NULL;
SELECT 'certificates_with_ski', count(*) FROM certificates WHERE ski IS NOT NULL;
SELECT 'certificates_empty_subject', count(*) FROM certificates WHERE subject = '';
SELECT 'certificates_profile_' || ifnull(profile, '(default)'), count(*) FROM certificates GROUP BY profile ORDER BY profile;
SELECT 'certificates_issuer_' || c.name, count(*) FROM certificates x JOIN cas c ON c.id = x.issuer_ca_id GROUP BY c.name ORDER BY c.name;
SELECT 'certificates_min_not_after', min(not_after) FROM certificates;
SELECT 'audit', count(*) FROM audit;
SELECT 'audit_' || operation || '_' || outcome, count(*) FROM audit GROUP BY operation, outcome ORDER BY operation, outcome;
SQL
}

if [ "${1:-}" = "--expected" ]; then
  [ $# -eq 3 ] || die "usage: make.sh --expected DIR OUTDIR"
  dir=$(cd "$2" && pwd)
  [ -f "$dir/ca.db" ] || die "no $dir/ca.db"
  mkdir -p "$3"
  expected_outputs "$dir/ca.db" "$(cd "$3" && pwd)"
  exit 0
fi

[ $# -eq 1 ] || die "usage: make.sh DIR   or   make.sh --expected DIR OUTDIR"
for tool in openssl sqlite3 python3 cgi-fcgi; do command -v $tool >/dev/null || die "$tool is needed"; done
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
[ ! -e "$OUT/ca.db" ] || die "$OUT/ca.db exists; give an empty directory"
cd "$OUT"
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

umask 077
printf 'fixture-passphrase-0001\n' > passphrase
export ESTFCGI_DB=$OUT/ca.db ESTFCGI_KEY_PASSPHRASE_FILE=$OUT/passphrase
mkdir -p ca keys csr certs expected
: > certs.tsv

# --- helpers ----------------------------------------------------------------------------
newkey() { # newkey FILE ec-p256|ec-p384|ec-p521|rsa-2048|rsa-3072|ed25519
  case $2 in
    ec-p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
    ec-p384) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$1" ;;
    ec-p521) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$1" ;;
    rsa-2048) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" ;;
    rsa-3072) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$1" ;;
    ed25519) openssl genpkey -quiet -algorithm ED25519 -out "$1" ;;
    *) die "key type $2" ;;
  esac
}

mkcsr() { # mkcsr NAME KEYTYPE SUBJECT [SAN] -> keys/NAME.key csr/NAME.csr
  local name=$1 type=$2 subj=$3 san=${4:-}
  newkey "keys/$name.key" "$type"
  openssl req -new -key "keys/$name.key" -subj "$subj" ${san:+-addext "subjectAltName=$san"} -out "csr/$name.csr"
}

serial_of() { # lowercase hex, no leading zeros, as the store keeps it
  openssl x509 -in "$1" -noout -serial | sed 's/^serial=//; s/^0*//' | tr 'A-F' 'a-f'
}

record() { # record NAME PEM PROFILE HOW [NOTE]
  local serial
  serial=$(serial_of "$2")
  e cert show "$serial" --json > /dev/null || die "$1: serial $serial not in the store"
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$serial" "$3" "$4" "${5:-}" >> certs.tsv
}

issue() { # issue NAME PROFILE(label or -) [NOTE] -> certs/NAME.pem
  local sel=(--profile "$2")
  [ "$2" = - ] && sel=(--default)
  e cert issue "${sel[@]}" --csr "csr/$1.csr" > "certs/$1.pem"
  record "$1" "certs/$1.pem" "$2" cert-issue "${3:-}"
}

serial_by_name() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' certs.tsv; }

# --- CAs --------------------------------------------------------------------------------
e init
[ "$(sqlite3 ca.db 'SELECT max(version) FROM schema_version')" = 2 ] || die "this estfcgi does not make a version-2 store"

e ca create --name root --subject 'CN=Fixture Root CA,O=estfcgi fixture' --key ec-p384 --days 7300 > ca/root.pem
e ca create --name issuing --issuer root --subject 'CN=Fixture Issuing CA,O=estfcgi fixture,C=DE' \
  --key ec-p256 --path-len 0 --days 7000 > ca/issuing.pem
e ca create --name rsaroot --subject 'CN=Fixture RSA Root,O=estfcgi fixture' --key rsa-2048 --days 7300 > ca/rsaroot.pem

# openssl-made CAs: extension sections for `openssl req -x509` / `openssl x509 -req`.
cat > "$TMP/ext.cnf" <<'EOF'
[ req ]
distinguished_name = dn
[ dn ]
[ ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[ subca ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ boot ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
selfsigned() { # selfsigned NAME SUBJECT KEYFILE [openssl passin args...]
  local name=$1 subj=$2 key=$3; shift 3
  openssl req -x509 -config "$TMP/ext.cnf" -extensions ca -key "$key" "$@" -subj "$subj" -days 7300 -sha256 -out "ca/$name.pem"
}

# factory: trust anchor only (its key stays outside the store; it signs bootstrap certs).
newkey ca/factory.key ec-p256
selfsigned factory '/CN=Fixture Factory CA/O=Example Devices Inc' ca/factory.key
e ca import --name factory --cert ca/factory.pem

# vendor: imported WITH its key, from a PEM encrypted under another passphrase.
printf 'vendor-key-passphrase-77\n' > ca/vendor-key-passphrase
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc \
  -pass file:ca/vendor-key-passphrase -out ca/vendor.key
selfsigned vendor '/CN=Fixture Vendor CA/O=Vendor Ltd' ca/vendor.key -passin file:ca/vendor-key-passphrase
e ca import --name vendor --cert ca/vendor.pem --key ca/vendor.key --key-in-passphrase-file ca/vendor-key-passphrase

# partner: an intermediate whose root is not in the store, imported with --chain (the
# chain file also holds partner itself, which import drops).
newkey ca/partner-root.key ec-p384
selfsigned partner-root '/CN=Partner Root CA/O=Partner GmbH' ca/partner-root.key
newkey ca/partner.key ec-p256
openssl req -new -config "$TMP/ext.cnf" -key ca/partner.key -subj '/CN=Partner Devices CA/O=Partner GmbH' -out "$TMP/partner.csr"
openssl x509 -req -in "$TMP/partner.csr" -CA ca/partner-root.pem -CAkey ca/partner-root.key -CAcreateserial \
  -extfile "$TMP/ext.cnf" -extensions subca -days 7200 -sha256 -out ca/partner.pem
rm -f ca/partner-root.srl
cat ca/partner.pem ca/partner-root.pem > ca/partner-chain.pem
e ca import --name partner --cert ca/partner.pem --chain ca/partner-chain.pem

# side: a CA signed (by openssl) with the store's own root key, imported without --chain:
# import finds its chain (root) in the store by itself.
sqlite3 ca.db "SELECT encrypted_key FROM cas WHERE name = 'root'" > "$TMP/root.enc.key"
openssl pkey -in "$TMP/root.enc.key" -passin file:passphrase -out "$TMP/root.key"
newkey ca/side.key ec-p256
openssl req -new -config "$TMP/ext.cnf" -key ca/side.key -subj '/CN=Fixture Side CA/O=estfcgi fixture' -out "$TMP/side.csr"
openssl x509 -req -in "$TMP/side.csr" -CA ca/root.pem -CAkey "$TMP/root.key" -CAcreateserial \
  -extfile "$TMP/ext.cnf" -extensions subca -days 7000 -sha384 -out ca/side.pem
rm -f ca/root.srl "$TMP/root.key"
e ca import --name side --cert ca/side.pem

# --- profiles ---------------------------------------------------------------------------
e profile create --default --issuer issuing --trust factory --validity-days 5000 > /dev/null
e profile create --aps iot --issuer issuing --trust factory,root --cacerts issuing,root --key-types ec,rsa-3072 \
  --eku clientAuth,serverAuth,1.3.6.1.5.5.7.3.17 --validity-days 90 --reenroll-window-days 30 --revoke-on-reenroll \
  --serverkeygen ec-p256 --serverkeygen-encrypt \
  --csrattrs challengePassword,serialNumber,macAddress,ec-p384,ecdsa-with-SHA384,san-dns,1.2.3.4 --enforce-csrattrs > /dev/null
e profile create --aps plain --issuer issuing > /dev/null
e profile create --aps boot --issuer vendor --validity-days 5000 > /dev/null
e profile create --aps device --issuer issuing --trust factory,vendor --validity-days 5000 > /dev/null
e profile create --aps rotate --issuer issuing --trust factory --validity-days 5000 --revoke-on-reenroll \
  --eku clientAuth,serverAuth --key-types ec > /dev/null
e profile create --aps keygen --issuer rsaroot --trust factory --cacerts rsaroot --validity-days 5000 \
  --serverkeygen ec-p256 --csrattrs san,sha256WithRSAEncryption,rsa-3072 > /dev/null
e profile create --aps legacy --issuer issuing --trust partner,side --validity-days 5000 --revoke-on-reenroll \
  --serverkeygen ec-p384 --serverkeygen-encrypt --reenroll-window-days 10 --eku clientAuth,emailProtection > /dev/null
e profile update --aps legacy --no-revoke-on-reenroll --serverkeygen none --reenroll-window-days none > /dev/null
e profile create --aps temp --issuer issuing --validity-days 5000 > /dev/null

# --- certificates issued offline (cert issue) ---------------------------------------------
mkcsr sensor-01 ec-p256 '/CN=sensor-01/O=Example Devices Inc' 'DNS:sensor-01.example,IP:192.0.2.10'
issue sensor-01 - 'DNS and IPv4 SAN'
mkcsr gateway-02 rsa-2048 '/CN=gateway-02/O=Example Devices Inc/OU=Gateways' 'email:ops@example.com,URI:urn:example:gateway-02'
issue gateway-02 - 'RSA key; email and URI SAN; revoked keyCompromise'
mkcsr printer-03 ed25519 '/CN=printer-03/O=Example Devices Inc' 'DNS:printer-03.example,IP:2001:db8::3'
issue printer-03 - 'Ed25519 key; IPv6 SAN; revoked unspecified'
mkcsr anon-04 ec-p256 / 'DNS:anon-04.example'
issue anon-04 device 'empty subject, SAN only'
mkcsr device ec-p256 '/CN=device-42/O=Example Devices Inc' 'DNS:device-42.example'
issue device device 'device.pem / device.key: valid, never re-enrolled, profile device (reenroll window none)'
cp certs/device.pem device.pem
cp keys/device.key device.key
mkcsr meter-06 ec-p256 '/CN=meter-06/O=Example Devices Inc' 'DNS:meter-06.example'
issue meter-06 device 're-enrolled by EST without revocation (stays valid)'
mkcsr rotor-08 ec-p384 '/CN=rotor-08/O=Example Devices Inc' 'DNS:rotor-08.example,URI:https://rotor-08.example/'
issue rotor-08 rotate 're-enrolled by EST under revoke-on-reenroll: revoked superseded'
mkcsr relay-10 ec-p256 '/CN=relay-10/O=Example Devices Inc' 'DNS:relay-10.example'
issue relay-10 rotate 'revoked superseded by cert revoke'
mkcsr boot-0001 ec-p256 '/CN=boot-0001/O=Vendor Ltd/serialNumber=V-0001'
issue boot-0001 boot 'bootstrap certificate issued by vendor; authenticates cam-11'
mkcsr rsa-14 rsa-3072 '/CN=rsa-14/O=Example Devices Inc' 'DNS:rsa-14.example,IP:198.51.100.14'
issue rsa-14 keygen 'RSA-3072 key issued by the RSA root'
mkcsr temp-15 ec-p256 '/CN=temp-15/O=Example Devices Inc'
issue temp-15 temp 'its profile temp was deleted afterwards'
mkcsr legacy-16 ec-p521 '/CN=legacy-16/O=Example Devices Inc/emailAddress=legacy-16@example.com' 'email:legacy-16@example.com'
issue legacy-16 legacy 'P-521 key; profile legacy was updated before'

e profile delete --aps temp > /dev/null

e cert revoke "$(serial_by_name gateway-02)" --reason keyCompromise > /dev/null
e cert revoke "$(serial_by_name printer-03)" --reason unspecified > /dev/null
e cert revoke "$(serial_by_name relay-10)" --reason superseded > /dev/null

# A CSR that satisfies everything iot asks for (ec-p384, ecdsa-with-SHA384,
# challengePassword, macAddress, serialNumber, DNS SAN, 1.2.3.4): kept for later tests, NOT
# issued here (iot certificates live 90 days). The refused `cert issue` leaves an audit row.
cat > "$TMP/iot.cnf" <<'EOF'
oid_section = new_oids
[ new_oids ]
macAddress = 1.3.6.1.1.1.1.22
[ req ]
prompt = no
distinguished_name = dn
attributes = attrs
[ dn ]
CN = iot-sensor-7
serialNumber = SN-0007
[ attrs ]
challengePassword = fixture-challenge
macAddress = 00:11:22:33:44:55
EOF
newkey keys/iot-ok.key ec-p384
openssl req -new -config "$TMP/iot.cnf" -key keys/iot-ok.key -sha384 \
  -addext 'subjectAltName=DNS:iot-sensor-7.example' -addext '1.2.3.4=ASN1:UTF8String:fixture' -out csr/iot-ok.csr
if e cert issue --profile iot --csr csr/sensor-01.csr > /dev/null 2> "$TMP/err"; then die "iot accepted a CSR without its csrattrs"; fi
grep -q 'estfcgi: error:' "$TMP/err" || die "unexpected cert issue failure: $(cat "$TMP/err")"

# --- EST over FastCGI ---------------------------------------------------------------------
# A bootstrap certificate signed (by openssl) with the factory key, outside the store.
mkcsr factory-boot ec-p256 '/CN=factory-boot-0001/O=Example Devices Inc'
openssl x509 -req -in csr/factory-boot.csr -CA ca/factory.pem -CAkey ca/factory.key -CAcreateserial \
  -extfile "$TMP/ext.cnf" -extensions boot -days 7000 -sha256 -out certs/factory-boot.pem
rm -f ca/factory.srl

"$ESTFCGI" serve --listen "127.0.0.1:$PORT" --workers 1 2> "$TMP/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  grep -q 'serving with' "$TMP/serve.log" && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "serve exited: $(cat "$TMP/serve.log")"
  sleep 0.1
done
grep -q 'serving with' "$TMP/serve.log" || die "serve did not start"

# est METHOD PATH CLIENT-PEM|- BODY|- OUTFILE: prints the HTTP status.
est() {
  local method=$1 path=$2 cert=$3 body=$4 out=$5 escaped="" len=0
  if [ "$cert" != - ]; then
    escaped=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read(), safe=""))' "$cert")
  fi
  if [ "$body" != - ]; then len=$(wc -c < "$body"); else body=/dev/null; fi
  env -i PATH="$PATH" REQUEST_METHOD="$method" DOCUMENT_URI="$path" REQUEST_URI="$path" \
    SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 HTTPS=on CONTENT_TYPE=application/pkcs10 \
    CONTENT_LENGTH="$len" SSL_CLIENT_CERT="$escaped" \
    cgi-fcgi -bind -connect "127.0.0.1:$PORT" < "$body" > "$out"
  sed -n '1s/^Status: \([0-9]*\).*/\1/p' "$out"
}

# The body of a FastCGI answer (after the blank line).
body_of() { python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d.split(b"\r\n\r\n", 1)[1])' "$1"; }

est_enroll() { # est_enroll NAME OP PROFILE(label or -) CLIENT-PEM [NOTE] -> certs/NAME.pem
  local name=$1 op=$2 profile=$3 client=$4 path status
  path=/.well-known/est/$op
  [ "$profile" = - ] || path=/.well-known/est/$profile/$op
  status=$(est POST "$path" "$client" "csr/$name.csr" "$TMP/$name.resp")
  [ "$status" = 200 ] || die "$op $name: status $status: $(cat "$TMP/$name.resp")"
  body_of "$TMP/$name.resp" | openssl base64 -d | openssl pkcs7 -inform DER -print_certs | openssl x509 -out "certs/$name.pem"
  record "$name" "certs/$name.pem" "$profile" "$op" "${5:-}"
}

# simplereenroll without revocation (profile device): meter-06 stays valid.
mkcsr meter-06.renewed ec-p256 '/CN=meter-06/O=Example Devices Inc' 'DNS:meter-06.example'
est_enroll meter-06.renewed simplereenroll device certs/meter-06.pem 'replaces meter-06 (not revoked)'
# simplereenroll under revoke-on-reenroll (profile rotate): rotor-08 revoked superseded.
mkcsr rotor-08.renewed ec-p384 '/CN=rotor-08/O=Example Devices Inc' 'DNS:rotor-08.example,URI:https://rotor-08.example/'
est_enroll rotor-08.renewed simplereenroll rotate certs/rotor-08.pem 'replaces rotor-08 (revoked superseded)'
# simpleenroll authenticated by a bootstrap certificate the store issued (vendor, via boot).
mkcsr cam-11 ec-p256 '/CN=cam-11/O=Example Devices Inc' 'DNS:cam-11.example,IP:192.0.2.11'
est_enroll cam-11 simpleenroll device certs/boot-0001.pem 'simpleenroll, bootstrap boot-0001 (vendor)'
# simpleenroll under the default profile, authenticated by the openssl-made factory cert.
mkcsr lamp-12 ec-p256 '/CN=lamp-12/O=Example Devices Inc' 'DNS:lamp-12.example'
est_enroll lamp-12 simpleenroll - certs/factory-boot.pem 'simpleenroll, bootstrap factory-boot (factory)'

# serverkeygen (profile keygen, not encrypted): the key comes back as PKCS#8.
mkcsr keygen-13.template ec-p256 '/CN=keygen-13/O=Example Devices Inc' 'DNS:keygen-13.example'
status=$(est POST /.well-known/est/keygen/serverkeygen certs/factory-boot.pem csr/keygen-13.template.csr "$TMP/keygen.resp")
[ "$status" = 200 ] || die "serverkeygen: status $status: $(cat "$TMP/keygen.resp")"
python3 - "$TMP/keygen.resp" "$TMP" <<'EOF'
import email, sys
raw = open(sys.argv[1], "rb").read()
msg = email.message_from_bytes(raw)
parts = msg.get_payload()
assert len(parts) == 2, parts
open(sys.argv[2] + "/key.der", "wb").write(parts[0].get_payload(decode=True))
open(sys.argv[2] + "/cert.p7", "wb").write(parts[1].get_payload(decode=True))
EOF
openssl pkey -inform DER -in "$TMP/key.der" -out keys/keygen-13.key
openssl pkcs7 -inform DER -in "$TMP/cert.p7" -print_certs | openssl x509 -out certs/keygen-13.pem
record keygen-13 certs/keygen-13.pem keygen serverkeygen 'server-generated ec-p256 key (keys/keygen-13.key)'
rm -f keys/keygen-13.template.key

# Refusals, each one audit row: revoked client, wrong profile, no client certificate,
# unknown profile, window. And answers that are pure functions of the store, kept.
expect_status() { # expect_status WANT METHOD PATH CLIENT BODY NAME
  local got
  got=$(est "$2" "$3" "$4" "$5" "$TMP/$6.resp")
  [ "$got" = "$1" ] || die "$6: want $1, got $got: $(cat "$TMP/$6.resp")"
}
mkcsr gateway-02.renewed rsa-2048 '/CN=gateway-02/O=Example Devices Inc/OU=Gateways' 'email:ops@example.com,URI:urn:example:gateway-02'
expect_status 403 POST /.well-known/est/simplereenroll certs/gateway-02.pem csr/gateway-02.renewed.csr revoked
expect_status 403 POST /.well-known/est/rotate/simplereenroll certs/device.pem csr/device.csr wrongprofile
expect_status 401 POST /.well-known/est/device/simpleenroll - csr/cam-11.csr noclient
expect_status 404 POST /.well-known/est/nosuch/simpleenroll certs/factory-boot.pem csr/cam-11.csr unknown
rm -f keys/gateway-02.renewed.key csr/gateway-02.renewed.csr
for p in iot keygen plain; do
  expect_status "$([ $p = plain ] && echo 204 || echo 200)" GET "/.well-known/est/$p/csrattrs" - - "csrattrs-$p"
  cp "$TMP/csrattrs-$p.resp" "expected/est-csrattrs-$p.txt"
done
for p in iot keygen device; do
  expect_status 200 GET "/.well-known/est/$p/cacerts" - - "cacerts-$p"
  cp "$TMP/cacerts-$p.resp" "expected/est-cacerts-$p.txt"
done
expect_status 200 GET /.well-known/est/cacerts - - cacerts-default
cp "$TMP/cacerts-default.resp" expected/est-cacerts-default.txt

kill -TERM "$SERVER_PID"
rc=0; wait "$SERVER_PID" || rc=$?
SERVER_PID=
[ "$rc" = 0 ] || die "serve exited $rc on SIGTERM: $(cat "$TMP/serve.log")"

# --- one file, then the expected outputs ---------------------------------------------------
sqlite3 ca.db 'PRAGMA wal_checkpoint(TRUNCATE);' > /dev/null
rm -f ca.db-wal ca.db-shm
[ "$(sqlite3 ca.db 'PRAGMA integrity_check')" = ok ] || die "integrity_check failed"
expected_outputs "$OUT/ca.db" "$OUT/expected"
sqlite3 ca.db 'PRAGMA wal_checkpoint(TRUNCATE);' > /dev/null
rm -f ca.db-wal ca.db-shm
if grep -q expired expected/cert-list.txt; then die "a certificate is expired"; fi
echo "store-v2 fixture written to $OUT"

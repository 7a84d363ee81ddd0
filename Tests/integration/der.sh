# The certificate encoder (CertificateTemplate+DER) fed client-controlled bytes through nginx:
# every certificate issued must be DER all through (der_strict.py walks extension values too),
# parse with openssl and chain-verify; anything that would put BER into one is refused (sourced).
suite_der() {
  SUITE=der
  local d=$WORK/der e=$ESTFCGI P=/.well-known/est
  mkdir -p "$d"
  if ! nginx_start; then not_ok "der: front and responder start"; nginx_stop; return; fi
  BASE=https://127.0.0.1:$NGINX_PORT
  "$e" profile create --profile der-upn --issuer issuing --trust factory --san-kinds dns,othername >/dev/null
  est GET $P/cacerts
  p7certs "$WORK/resp.body" "$d/chain.pem"

  # issued NAME: the answer in resp.body holds one certificate that is strict DER, that
  # openssl reads and that chains to the store's CAs.
  issued() {
    p7certs "$WORK/resp.body" "$d/$1.pem" && openssl x509 -in "$d/$1.pem" -outform DER -out "$d/$1.cer" &&
      /usr/bin/python3 "$HERE/der_strict.py" "$d/$1.cer" "$WORK/resp.body" >/dev/null &&
      openssl x509 -inform DER -in "$d/$1.cer" -noout -text >/dev/null 2>&1 &&
      openssl verify -CAfile "$d/chain.pem" "$d/$1.pem" >/dev/null 2>&1 &&
      /usr/bin/python3 -c 'import hashlib, pathlib, re, sys, warnings
warnings.simplefilter("error")
from cryptography import x509
c = x509.load_der_x509_certificate(pathlib.Path(sys.argv[1]).read_bytes())
pems = re.findall(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", pathlib.Path(sys.argv[2]).read_bytes(), re.S)
issuer = [i for i in map(x509.load_pem_x509_certificate, pems) if i.subject == c.issuer][0]
aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
own = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
def split(b):
    out, i = [], 0
    while i < len(b):
        n, h = b[i + 1], 2
        if n & 0x80:
            h, n = 2 + (n & 0x7f), int.from_bytes(b[i + 2:i + 2 + (n & 0x7f)], "big")
        out.append(b[i + h:i + h + n]); i += h + n
    return out
key = split(split(split(c.tbs_certificate_bytes)[0])[6])[1][1:]  # RFC 5280 §4.2.1.2 (1)
assert aki == ski and own == hashlib.sha1(key).digest()' "$d/$1.cer" "$d/chain.pem"
  }
  # enroll NAME PROFILE STATUS CSR: one request; a 200 must carry a sound certificate.
  enroll() {
    post "$P/$2/simpleenroll" "$4" boot boot
    expect_eq "der: $1 -> $3" "$STATUS" "$3"
    if [ "$STATUS" = 200 ]; then check "der: $1: the certificate is DER, parses and verifies" issued "$1"; fi
    return 0
  }
  evil() { local name=$1; shift; /usr/bin/python3 "$HERE/evil_csr.py" "$d/$name.der" "$d/ev.key" "$@"; }
  # upn VALUE-HEX: an otherName UPN whose [0] EXPLICIT value is these bytes.
  upn() {
    /usr/bin/python3 -c 'import sys
def tlv(t, c):
    n = len(c); return bytes([t]) + (bytes([n]) if n < 128 else bytes([0x81, n])) + c
print(tlv(0xa0, bytes.fromhex("060a2b060104018237140203") + tlv(0xa0, bytes.fromhex(sys.argv[1]))).hex())' "$1"
  }
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ev.key" 2>/dev/null

  # An otherName's value is copied into the certificate as received: it must be DER itself.
  # NAME STATUS VALUE-HEX DESCRIPTION, one otherName UPN value per line.
  while read -r name status value what; do
    evil "$name" --rdn 2.5.4.3:0c:x --san raw:"$(upn "$value")" < /dev/null
    enroll "$what" der-upn "$status" "$d/$name.der" < /dev/null
  done <<'CASES'
upn-ok          200 0c0561646d696e     an otherName UPN (control)
upn-longlen     400 0c810561646d696e   an otherName UTF8String with a long-form length
upn-seq-longlen 400 300402810105       an otherName SEQUENCE with a long-form inner length
upn-bool        400 010101             an otherName BOOLEAN 01
upn-int         400 0202000a           an otherName INTEGER with a redundant 00
upn-null        400 050100             an otherName NULL with content
upn-hightag     400 9f0105             an otherName value in high-tag-number form
upn-bmp-odd     400 1e03006100         an otherName BMPString of odd length
upn-bits        400 030208ff           an otherName BIT STRING with 8 unused bits
upn-seq         400 3006020101010100   a UPN whose value is no UTF8String
CASES
  # Another type's value in DER: a SEQUENCE { INTEGER 1, BOOLEAN FALSE } (1.3.6.1.4.1.99999.1).
  evil other-seq-ok --rdn 2.5.4.3:0c:x --san raw:a01506092b06010401868d1f01a0083006020101010100
  enroll "an otherName SEQUENCE in DER (control)" der-upn 200 "$d/other-seq-ok.der"
  # Big names: no 500, and whatever is issued is sound. (A 10 KB dNSName is issued today:
  # RFC 1034's 253-octet limit is not enforced unless the profile has a --dns-pattern.)
  sized() {
    post "$P/$2/simpleenroll" "$3" boot boot
    check "der: $1 -> 200 or 400 ($STATUS)" bash -c "[ '$STATUS' = 200 ] || [ '$STATUS' = 400 ]"
    if [ "$STATUS" = 200 ]; then check "der: $1: the certificate is DER, parses and verifies" issued "$1"; fi
    return 0
  }
  evil san-dns-10k --rdn 2.5.4.3:0c:x --san "dns:$(head -c 10000 /dev/zero | tr '\0' a).example"
  sized "a 10 KB dNSName" der-upn "$d/san-dns-10k.der"
  evil san-uri-10k --rdn 2.5.4.3:0c:x --san "raw:86822710$(head -c 10000 /dev/zero | tr '\0' a | xxd -p | tr -d '\n')"
  sized "a 10 KB URI" der-upn "$d/san-uri-10k.der"
  local many=()
  for i in $(seq 1 150); do many+=(--rdn "2.5.4.11:0c:$((i % 10))"); done
  evil rdn-150 "${many[@]}"
  sized "150 RDNs" der-upn "$d/rdn-150.der"
  # Long-form lengths elsewhere in the subjectAltName are refused (the names are re-encoded).
  evil san-dns-long --rdn 2.5.4.3:0c:x --san raw:8281096b2e6578616d706c65
  enroll "a dNSName with a long-form length" der-upn 400 "$d/san-dns-long.der"
  evil san-seq-long --rdn 2.5.4.3:0c:x --san-der 30810b82096b2e6578616d706c65
  enroll "GeneralNames with a long-form length" der-upn 400 "$d/san-seq-long.der"
  # Subjects at and past max_subject_bytes (2048): 31 OU RDNs of 54/55 characters.
  local subj2048=() subj2049=() i
  for i in $(seq 1 31); do
    subj2048+=(--rdn "2.5.4.11:0c:$(printf "%0$(( i <= 2 ? 54 : 55 ))d" "$i")")
    subj2049+=(--rdn "2.5.4.11:0c:$(printf "%0$(( i <= 1 ? 54 : 55 ))d" "$i")")
  done
  evil subj-2048 "${subj2048[@]}" --san dns:s.example
  evil subj-2049 "${subj2049[@]}" --san dns:s.example
  check "der: the crafted subjects are 2048 and 2049 bytes" /usr/bin/python3 -c 'import pathlib, sys
from cryptography import x509
n = [len(x509.load_der_x509_csr(pathlib.Path(f).read_bytes()).subject.public_bytes()) for f in sys.argv[1:]]
assert n == [2048, 2049], n' "$d/subj-2048.der" "$d/subj-2049.der"
  enroll "a subject of exactly 2048 bytes" der-upn 200 "$d/subj-2048.der"
  enroll "a subject of 2049 bytes" der-upn 400 "$d/subj-2049.der"
  evil multi-rdn --rdn-multi "2.5.4.3:0c:a" "2.5.4.10:0c:b" --san dns:m.example
  enroll "a multi-valued RDN in DER order" der-upn 200 "$d/multi-rdn.der"
  evil sans-10k --rdn 2.5.4.3:0c:x --sans 100
  enroll "100 subjectAltNames (the default max_sans)" der-upn 200 "$d/sans-10k.der"
  evil san-only --san dns:only.example
  enroll "an empty subject with a subjectAltName (critical SAN)" der-upn 200 "$d/san-only.der"
  check "der: ... its subjectAltName is critical" bash -c "openssl x509 -in '$d/an empty subject with a subjectAltName (critical SAN).pem' -noout -text | grep -q 'Subject Alternative Name: critical'"
  # Every key type the signer sees from a client (the fast path takes P-256/384/521 only).
  local spec
  for spec in ec-P-256 ec-P-384 ec-P-521 rsa:2048 rsa:3072 rsa:4096 ed25519; do
    mkcsr "der-${spec//:/-}" "$spec" "/CN=key-${spec//:/-}" "DNS:k.example"
    enroll "a $spec key" der-upn 200 "$WORK/der-${spec//:/-}.der"
  done
  # EC point forms (RFC 5480 §2.2): the SubjectPublicKeyInfo is copied from the CSR.
  local form
  for form in uncompressed compressed; do
    /usr/bin/python3 "$HERE/ec_point_csr.py" "$d/point-$form.der" "$form"
    enroll "a P-256 key in $form form" der-upn 200 "$d/point-$form.der"
  done
  for form in hybrid hybrid-wrong; do
    /usr/bin/python3 "$HERE/ec_point_csr.py" "$d/point-$form.der" "$form"
    enroll "a P-256 key in $form form" der-upn 400 "$d/point-$form.der"
  done
  # Renewal: the subject and subjectAltName come from the certificate being renewed.
  cp "$d/a ec-P-384 key.pem" "$WORK/der-renew.pem"; cp "$WORK/der-ec-P-384.key" "$WORK/der-renew.key"
  openssl req -new -key "$WORK/der-renew.key" -subj /CN=key-ec-P-384 -addext subjectAltName=DNS:k.example -outform DER -out "$d/renew.der"
  post "$P/der-upn/simplereenroll" "$d/renew.der" der-renew der-renew
  expect_eq "der: a renewal -> 200" "$STATUS" 200
  [ "$STATUS" = 200 ] && check "der: a renewal: the certificate is DER, parses and verifies" issued renewal
  # Server-side key generation: the certificate part.
  post "$P/keygen-rsa/serverkeygen" "$WORK/der-ec-P-256.der" boot boot
  expect_eq "der: serverkeygen -> 200" "$STATUS" 200
  skg_split der-skg
  cp "$WORK/der-skg-2.der" "$WORK/resp.body.der"; base64 -w0 "$WORK/der-skg-2.der" > "$WORK/resp.body"
  check "der: serverkeygen: the certificate is DER, parses and verifies" issued serverkeygen
  # A notAfter past 2049 is a GeneralizedTime (RFC 5280 §4.1.2.5).
  "$e" ca create --name der-long-root --subject "CN=der long root,O=estfcgi demo" --days 9500 >/dev/null
  "$e" ca create --name der-long --issuer der-long-root --subject "CN=der long CA,O=estfcgi demo" --path-len 0 --days 9200 >/dev/null
  "$e" profile create --profile der-long --issuer der-long --trust factory --validity-days 9000 >/dev/null
  est GET $P/der-long/cacerts
  p7certs "$WORK/resp.body" "$d/long-chain.pem"
  post "$P/der-long/simpleenroll" "$WORK/der-ec-P-256.der" boot boot
  expect_eq "der: a certificate to 2050 or later -> 200" "$STATUS" 200
  if [ "$STATUS" = 200 ]; then
    p7certs "$WORK/resp.body" "$d/long.pem"
    check "der: ... its notAfter is a GeneralizedTime" bash -c "openssl x509 -in '$d/long.pem' -outform DER | /usr/bin/python3 -c 'import sys; d = sys.stdin.buffer.read(); assert d.count(b\"\\x18\\x0f20\") == 1 and d.count(b\"\\x17\\x0d\") == 1'"
    check "der: ... strict DER and read by openssl" bash -c "openssl x509 -in '$d/long.pem' -outform DER > '$d/long.cer' && /usr/bin/python3 '$HERE/der_strict.py' '$d/long.cer' && openssl verify -CAfile '$d/long-chain.pem' '$d/long.pem'"
  fi
  # Issuing CAs of every key type, enrolled at concurrently (one signing context and one
  # lazily parsed X509 per CA); a profile whose /cacerts lists all of them.
  local k kinds="ec-p384 ec-p521 rsa-2048 rsa-3072 ed25519" all=root,issuing pids=()
  for k in $kinds; do
    "$e" ca create --name "der-$k" --issuer root --subject "CN=der $k CA,O=estfcgi demo" --key "$k" --path-len 0 --days 400 >/dev/null
    "$e" profile create --profile "der-$k" --issuer "der-$k" --trust factory >/dev/null
    all="$all,der-$k"
  done
  "$e" profile create --profile der-all --issuer issuing --trust factory --cacerts "$all" >/dev/null
  est GET $P/der-all/cacerts
  expect_eq "der: /cacerts of 7 CAs -> 200" "$STATUS" 200
  check "der: ... strict DER, and Python cryptography reads 7 certificates" \
    bash -c "/usr/bin/python3 '$HERE/der_strict.py' '$WORK/resp.body' && test \"\$(/usr/bin/python3 '$HERE/p7_strict.py' '$WORK/resp.body')\" = 7"
  p7certs "$WORK/resp.body" "$d/chain.pem"
  check "der: ... openssl prints 7" test "$(grep -c BEGIN "$d/chain.pem")" = 7
  est GET $P/der-ed25519/cacerts
  check "der: /cacerts of an Ed25519 CA and its root is strict DER with 2" \
    bash -c "/usr/bin/python3 '$HERE/der_strict.py' '$WORK/resp.body' && test \"\$(/usr/bin/python3 '$HERE/p7_strict.py' '$WORK/resp.body')\" = 2"
  for i in $(seq 1 4); do
    for k in $kinds; do
      curl -sS --max-time 60 -o "$d/cc-$k-$i.b64" -w '%{http_code}\n' --cacert "$WORK/tls-ca.pem" --cert "$WORK/boot.pem" \
        --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' --data-binary "@$WORK/der-ec-P-256.der" \
        "$BASE$P/der-$k/simpleenroll" > "$d/cc-$k-$i.code" &
      pids+=($!)
    done
  done
  wait "${pids[@]}"
  local bad=0
  for i in $(seq 1 4); do
    for k in $kinds; do
      if [ "$(cat "$d/cc-$k-$i.code")" = 200 ]; then
        cp "$d/cc-$k-$i.b64" "$WORK/resp.body"
        issued "cc-$k-$i" && openssl x509 -in "$d/cc-$k-$i.pem" -noout -issuer | grep -q "der $k CA" || bad=$((bad + 1))
      else
        bad=$((bad + 1))
      fi
    done
  done
  expect_eq "der: 20 concurrent enrollments at 5 CAs of 5 key types: all 200, sound, from the right CA" "$bad" 0
  # The responder still serves after all of them.
  est GET $P/cacerts
  expect_eq "der: still serving" "$STATUS" 200

  nginx_stop
}

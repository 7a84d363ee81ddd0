# What an attacker tried, through nginx, as a table: one line per attack (sourced).
# Each line sends one request and names the status it must get; at the end the number of
# certificates issued must equal the number of lines that were meant to succeed.
suite_attacks() {
  SUITE=attacks
  local d=$WORK/attacks e=$ESTFCGI out rc
  mkdir -p "$d"
  if ! nginx_start; then not_ok "attacks: front and responder start"; nginx_stop; return; fi
  BASE=https://127.0.0.1:$NGINX_PORT
  local before issued=0 audit_before
  before=$(issued_count)

  # attack NAME STATUS PATH CLIENT CSR-FILE: one request, one expected status.
  attack() {
    post "$3" "$5" "$4" "$4"
    expect_eq "attacks: $1 -> $2" "$STATUS" "$2"
    [ "$2" = 200 ] && issued=$((issued + 1))
    return 0
  }
  # evil NAME ARGS...: a CSR with exactly these subject/SAN bytes, validly signed.
  evil() { local name=$1; shift; /usr/bin/python3 "$HERE/evil_csr.py" "$d/$name.der" "$d/ev.key" "$@"; }

  # A second factory CA outside the store's keys, to mint odd bootstrap certificates.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj '/CN=Evil Factory/O=Example Devices' \
    -addext 'basicConstraints=critical,CA:TRUE' -keyout "$d/evf.key" -out "$d/evf.pem" 2>/dev/null
  "$e" ca import --name evilfactory --cert "$d/evf.pem" >/dev/null
  local name ext
  for name in ca-boot srv-boot ok-boot; do
    case $name in
      ca-boot) ext='basicConstraints=critical,CA:TRUE' ;;
      srv-boot) ext='extendedKeyUsage=serverAuth' ;;
      ok-boot) ext='extendedKeyUsage=clientAuth' ;;
    esac
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name-0001" \
      -keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null
    openssl x509 -req -in "$d/$name.csr" -CA "$d/evf.pem" -CAkey "$d/evf.key" -CAcreateserial -days 10 \
      -extfile <(printf '%s\n' "$ext") -out "$WORK/$name.pem" 2>/dev/null
    cp "$d/$name.key" "$WORK/$name.key"
  done
  "$e" profile create --profile hard --issuer issuing --trust factory,evilfactory >/dev/null
  "$e" profile create --profile bound --issuer issuing --trust factory --bind-identity cn --bootstrap-uses 2 \
    --cn-pattern 'boot-[0-9]+' --dns-pattern '[a-z0-9-]+\.example' --max-sans 3 >/dev/null
  "$e" profile create --profile upn --issuer issuing --trust factory --san-kinds dns,othername >/dev/null

  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ev.key" 2>/dev/null
  evil good --rdn 2.5.4.3:0c:dev-ok --san dns:dev-ok.example
  evil upn --rdn 2.5.4.3:0c:Administrator --san upn:admin@corp.local --san dns:corp.local
  # The issuing CA's own subject, in its DER order (O, then CN).
  evil ca-subject --rdn '2.5.4.10:0c:estfcgi demo' --rdn '2.5.4.3:0c:estfcgi Demo Issuing CA'
  evil san-not-names --rdn 2.5.4.3:0c:x --san-der 0403616263
  evil san-trailing --rdn 2.5.4.3:0c:x --san dns:a.example --san-tail 00ff
  evil san-empty --rdn 2.5.4.3:0c:x --san-der 3000
  evil san-ip5 --rdn 2.5.4.3:0c:x --san ip:c000020a01
  evil san-dns-ctl --rdn 2.5.4.3:0c:x --san 'dns:a\x0ab.example'
  evil cn-printable-at --rdn 2.5.4.3:13:a@b
  # dNSName lengths (RFC 5280 §4.2.1.6, RFC 1034 §3.5): at most 253 octets, labels of 1-63,
  # whatever the profile's patterns (hard has none); wildcards and underscores stay allowed.
  local l63; l63=$(head -c 63 /dev/zero | tr '\0' a)
  evil dns-10k --rdn 2.5.4.3:0c:x --san "dns:$(for _ in $(seq 200); do printf 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghij.'; done)example"
  evil dns-253 --rdn 2.5.4.3:0c:x --san "dns:*.$l63.$l63.$l63._$(head -c 58 /dev/zero | tr '\0' b)"
  evil dns-254 --rdn 2.5.4.3:0c:x --san "dns:*.$l63.$l63.$l63._$(head -c 59 /dev/zero | tr '\0' b)"
  evil dns-label64 --rdn 2.5.4.3:0c:x --san "dns:a$l63.example"
  evil dns-empty-label --rdn 2.5.4.3:0c:x --san "dns:a..example"
  evil dns-trailing-dot --rdn 2.5.4.3:0c:x --san "dns:a.example."
  evil cn-nul --rdn '2.5.4.3:0c:a\x00.example'
  evil cn-bmp --rdn 2.5.4.3:1e:ab
  evil many-sans --rdn 2.5.4.3:0c:x --sans 101
  evil big-subject --rdn "2.5.4.3:0c:$(head -c 3000 /dev/zero | tr '\0' a)"
  evil bound-ok --rdn 2.5.4.3:0c:boot-0001 --san dns:boot-0001.example
  evil bound-other --rdn 2.5.4.3:0c:boot-0002
  evil bound-dns --rdn 2.5.4.3:0c:boot-0001 --san dns:evil.attacker
  # Keys: RSA with e = 3, EC with explicit curve parameters, RSASSA-PSS.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 -out "$d/e3.key" 2>/dev/null
  openssl req -new -key "$d/e3.key" -subj /CN=e3 -outform DER -out "$d/rsa-e3.der"
  openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out "$d/explicit.key" 2>/dev/null
  openssl req -new -key "$d/explicit.key" -subj /CN=explicit -outform DER -out "$d/ec-explicit.der"
  openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$d/pss.key" 2>/dev/null
  openssl req -new -key "$d/pss.key" -subj /CN=pss -outform DER -out "$d/rsa-pss.der"

  local P=/.well-known/est
  attack "a well-formed CSR (control)"                     200 $P/hard/simpleenroll boot "$d/good.der"
  attack "a UPN otherName for Administrator"               400 $P/hard/simpleenroll boot "$d/upn.der"
  attack "... allowed where a profile asks for otherName"  200 $P/upn/simpleenroll boot "$d/upn.der"
  attack "the subject of a store CA"                       400 $P/hard/simpleenroll boot "$d/ca-subject.der"
  attack "a subjectAltName that is not GeneralNames"       400 $P/hard/simpleenroll boot "$d/san-not-names.der"
  attack "a subjectAltName with trailing bytes"            400 $P/hard/simpleenroll boot "$d/san-trailing.der"
  attack "an empty subjectAltName"                         400 $P/hard/simpleenroll boot "$d/san-empty.der"
  attack "an iPAddress of 5 octets"                        400 $P/hard/simpleenroll boot "$d/san-ip5.der"
  attack "a dNSName with a control character"              400 $P/hard/simpleenroll boot "$d/san-dns-ctl.der"
  attack "a 10 KB dNSName (no --dns-pattern)"              400 $P/hard/simpleenroll boot "$d/dns-10k.der"
  expect_contains "attacks: ... with a one-line reason" "$(cat "$WORK/resp.body")" "octets (at most 253)"
  attack "a dNSName of 253 octets, wildcard, underscore"   200 $P/hard/simpleenroll boot "$d/dns-253.der"
  attack "a dNSName of 254 octets"                         400 $P/hard/simpleenroll boot "$d/dns-254.der"
  attack "a dNSName label of 64 octets"                    400 $P/hard/simpleenroll boot "$d/dns-label64.der"
  expect_contains "attacks: ... with a one-line reason" "$(cat "$WORK/resp.body")" "has a label of 64 octets (at most 63)"
  attack "a dNSName with an empty label"                   400 $P/hard/simpleenroll boot "$d/dns-empty-label.der"
  expect_contains "attacks: ... with a one-line reason" "$(cat "$WORK/resp.body")" "a..example has an empty label"
  attack "a dNSName with a trailing dot"                   400 $P/hard/simpleenroll boot "$d/dns-trailing-dot.der"
  attack "a PrintableString with '@'"                      400 $P/hard/simpleenroll boot "$d/cn-printable-at.der"
  attack "a NUL inside the CN"                             400 $P/hard/simpleenroll boot "$d/cn-nul.der"
  attack "a BMPString CN"                                  400 $P/hard/simpleenroll boot "$d/cn-bmp.der"
  attack "101 subjectAltNames"                             400 $P/hard/simpleenroll boot "$d/many-sans.der"
  attack "a 3 KB subject"                                  400 $P/hard/simpleenroll boot "$d/big-subject.der"
  attack "an RSA key with e = 3"                           400 $P/hard/simpleenroll boot "$d/rsa-e3.der"
  attack "an EC key with explicit curve parameters"        400 $P/hard/simpleenroll boot "$d/ec-explicit.der"
  attack "an RSASSA-PSS key"                               200 $P/hard/simpleenroll boot "$d/rsa-pss.der"
  p7certs "$WORK/resp.body" "$d/pss.pem"
  out=$(openssl x509 -in "$d/pss.pem" -noout -ext keyUsage 2>&1)
  case $out in *"Key Encipherment"*) not_ok "attacks: an RSASSA-PSS key gets no keyEncipherment ($out)" ;;
               *"Digital Signature"*) ok "attacks: an RSASSA-PSS key gets no keyEncipherment" ;;
               *) not_ok "attacks: an RSASSA-PSS key gets no keyEncipherment ($out)" ;; esac
  attack "a CA:TRUE bootstrap certificate"                 403 $P/hard/simpleenroll ca-boot "$d/good.der"
  attack "a serverAuth-only bootstrap certificate"         403 $P/hard/simpleenroll srv-boot "$d/good.der"
  attack "a clientAuth bootstrap of the same factory"      200 $P/hard/simpleenroll ok-boot "$d/good.der"
  local ok_serial; ok_serial=$(openssl x509 -in "$WORK/ok-boot.pem" -noout -serial | cut -d= -f2)
  check "attacks: bootstrap deny (by serial)" "$e" bootstrap deny "$ok_serial" --issuer evilfactory --reason leaked
  attack "a denied bootstrap certificate"                  403 $P/hard/simpleenroll ok-boot "$d/good.der"
  attack "... its factory's other certificates still work" 200 $P/hard/simpleenroll boot "$d/good.der"
  expect_contains "attacks: bootstrap list shows it" "$("$e" bootstrap list)" "$(printf 'evilfactory\tserial\t')"
  check "attacks: bootstrap allow" "$e" bootstrap allow "$ok_serial" --issuer evilfactory
  attack "an allowed-again bootstrap certificate"          200 $P/hard/simpleenroll ok-boot "$d/good.der"
  attack "bound: its own CN"                               200 $P/bound/simpleenroll boot "$d/bound-ok.der"
  attack "bound: another device's CN"                      403 $P/bound/simpleenroll boot "$d/bound-other.der"
  attack "bound: a DNS name outside the pattern"           400 $P/bound/simpleenroll boot "$d/bound-dns.der"
  attack "bound: a second use of the bootstrap"            200 $P/bound/simpleenroll boot "$d/bound-ok.der"
  attack "bound: a third use (--bootstrap-uses 2)"         403 $P/bound/simpleenroll boot "$d/bound-ok.der"

  # Anonymous clients write nothing to the store, however they try.
  audit_before=$(audit_count)
  est GET "$P/cacerts%0A%20estfcgi:%20op=simpleenroll%20status=200%20serial=abc"
  expect_eq "attacks: a %0A path -> 404" "$STATUS" 404
  est GET "$P/$(head -c 3000 /dev/zero | tr '\0' a)/cacerts"
  expect_eq "attacks: a 3 KB label -> 404" "$STATUS" 404
  post $P/simpleenroll "$d/good.der" "" ""
  expect_eq "attacks: no client certificate -> 401" "$STATUS" 401
  # A label that names no profile is a 404 whatever the body (the body is read first);
  # without credentials still the 401 before any body, as for every label.
  printf 'not a CSR' > "$d/junk.body"
  post $P/nosuchlabel/simpleenroll "$d/junk.body" boot boot
  expect_eq "attacks: an unknown label with an unreadable body -> 404" "$STATUS" 404
  post $P/nosuchlabel/serverkeygen "$d/junk.body" boot boot
  expect_eq "attacks: ... and for serverkeygen -> 404" "$STATUS" 404
  post $P/nosuchlabel/simplereenroll "$d/junk.body" boot boot
  expect_eq "attacks: ... and for simplereenroll -> 404" "$STATUS" 404
  post $P/nosuchlabel/simpleenroll "$d/junk.body" "" ""
  expect_eq "attacks: ... without a client certificate -> 401" "$STATUS" 401
  post $P/hard/simpleenroll "$d/junk.body" boot boot
  expect_eq "attacks: a known label with an unreadable body -> 400" "$STATUS" 400
  post $P/simpleenroll "$d/good.der" rogue rogue text/plain
  expect_eq "attacks: a wrong media type -> 415" "$STATUS" 415
  expect_eq "attacks: ... and none of them wrote to the store" "$(audit_count)" "$audit_before"
  expect_eq "attacks: no forged line in the responder's log" "$(grep -c '^ estfcgi: op=' "$WORK/nginx/estfcgi.log")" 0
  check "attacks: the path's newline is escaped in the log" grep -qF 'cacerts\x0a estfcgi' "$WORK/nginx/estfcgi.log"

  # Found by the second attack on the hardened code.
  # ECDSA signatures are malleable: (r, n - s) verifies too and changes the fingerprint, so
  # revocation, denials and --bootstrap-uses are keyed by issuer and serial.
  /usr/bin/python3 "$HERE/flip_ecdsa.py" "$WORK/boot-revoked.pem" "$WORK/flip-revoked.pem"; cp "$WORK/boot-revoked.key" "$WORK/flip-revoked.key"
  /usr/bin/python3 "$HERE/flip_ecdsa.py" "$WORK/boot.pem" "$WORK/flip-boot.pem"; cp "$WORK/boot.key" "$WORK/flip-boot.key"
  attack "a revoked bootstrap with its signature re-encoded"  403 $P/hard/simpleenroll flip-revoked "$d/good.der"
  attack "bound: a used-up bootstrap, signature re-encoded"   403 $P/bound/simpleenroll flip-boot "$d/bound-ok.der"
  # A denied bootstrap certificate cannot renew itself through the profile that minted it.
  local boot_serial; boot_serial=$(openssl x509 -in "$WORK/boot.pem" -noout -serial | cut -d= -f2)
  "$e" bootstrap deny "$boot_serial" --issuer factory >/dev/null
  mkcsr boot-renew ec-P-256 "/CN=boot-0001/O=Example Devices"
  attack "a denied bootstrap re-enrolling at its minting profile" 403 $P/factory/simplereenroll boot "$WORK/boot-renew.csr"
  "$e" bootstrap allow "$boot_serial" --issuer factory >/dev/null
  # Every CN counts, in the right DER order.
  evil two-cns --rdn 2.5.4.3:0c:boot-0001 --rdn 2.5.4.3:0c:administrator
  attack "bound: a second CN beside the bound one"          403 $P/bound/simpleenroll boot "$d/two-cns.der"
  evil unsorted-rdn --rdn-multi "2.5.4.3:0c:boot-0001" "2.5.4.3:0c:admin"
  attack "a multi-valued RDN out of DER order"              400 $P/hard/simpleenroll boot "$d/unsorted-rdn.der"
  evil upn-escape --rdn 2.5.4.3:0c:x --san 'upnraw:0c:\x1b]0;pwned\x07admin@corp'
  attack "an otherName UPN with control characters"         400 $P/upn/simpleenroll boot "$d/upn-escape.der"
  evil upn-junk --rdn 2.5.4.3:0c:x --san raw:a00f06092b0601040182371402a002ffff
  attack "an otherName whose value is not DER"              400 $P/upn/simpleenroll boot "$d/upn-junk.der"
  evil ca-subject-folded --rdn '2.5.4.10:0c:ESTFCGI DEMO' --rdn '2.5.4.3:0c:estfcgi  demo issuing ca'
  attack "a store CA's subject in other case and spacing"   400 $P/hard/simpleenroll boot "$d/ca-subject-folded.der"
  # A negative serial can be denied too.
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=neg-boot" \
    -keyout "$WORK/neg-boot.key" -out "$d/neg.csr" 2>/dev/null
  openssl x509 -req -in "$d/neg.csr" -CA "$d/evf.pem" -CAkey "$d/evf.key" -set_serial -12345 -days 10 \
    -extfile <(echo 'extendedKeyUsage=clientAuth') -out "$WORK/neg-boot.pem" 2>/dev/null
  check "attacks: bootstrap deny of a negative serial" "$e" bootstrap deny --issuer evilfactory -- -3039
  attack "a denied bootstrap with a negative serial"        403 $P/hard/simpleenroll neg-boot "$d/good.der"
  # A self-made certificate earns no audit row, however many times it is sent.
  audit_before=$(audit_count)
  for _ in 1 2 3; do post $P/hard/simpleenroll "$d/good.der" rogue rogue; done
  expect_eq "attacks: an untrusted self-signed client -> 403" "$STATUS" 403
  expect_eq "attacks: ... logged, not audited" "$(audit_count)" "$audit_before"

  expect_eq "attacks: issued exactly what was meant to succeed ($issued)" "$(issued_count)" $((before + issued))

  # Slow and stalled clients straight at the FastCGI socket (the responder has 2 workers
  # and --read-timeout 3): they are cut off, and others are served meanwhile.
  /usr/bin/python3 "$HERE/fcgi_trickle.py" "127.0.0.1:$FCGI_PORT" "$WORK/boot.pem" "$d/good.der" --interval 0.5 > "$d/trickle1" &
  local t1=$!
  /usr/bin/python3 "$HERE/fcgi_trickle.py" "127.0.0.1:$FCGI_PORT" "$WORK/boot.pem" "$d/good.der" --idle > "$d/idle1" &
  local t2=$!
  sleep 0.5
  local t0=$SECONDS
  est GET $P/cacerts
  expect_eq "attacks: served while a trickler and an idle connection hold both workers" "$STATUS" 200
  check "attacks: ... within the read timeout and a margin" test $((SECONDS - t0)) -le 6
  wait $t1 $t2
  expect_contains "attacks: a trickled body is answered 408 at the deadline" "$(cat "$d/trickle1")" "408"
  expect_contains "attacks: an idle connection is closed" "$(cat "$d/idle1")" "closed"
  # An idle listener must keep serving: accept() times out too, and the workers accept again.
  sleep 5
  est GET $P/cacerts
  expect_eq "attacks: served after the listener was idle longer than --read-timeout" "$STATUS" 200

  # Server-side key generation is bounded per client: the same device, three at once.
  "$e" profile create --profile keygen-big --issuer issuing --trust factory --serverkeygen rsa-4096 >/dev/null
  local i pids=()
  : > "$d/kg.codes"
  for i in 1 2 3; do
    curl -sS --max-time 60 -o /dev/null -w '%{http_code}\n' --cacert "$WORK/tls-ca.pem" --cert "$WORK/boot.pem" \
      --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' --data-binary "@$d/good.der" \
      "$BASE$P/keygen-big/serverkeygen" >> "$d/kg.codes" &
    pids+=($!)
  done
  wait "${pids[@]}"
  check "attacks: concurrent key generations of one client: one runs, the others get 429" \
    bash -c "grep -q '^200$' '$d/kg.codes' && grep -q '^429$' '$d/kg.codes' && ! grep -qv '^\(200\|429\)$' '$d/kg.codes'"

  # ca import refuses a certificate whose key OpenSSL cannot decode (one request with it as
  # the serverkeygen recipient once killed every worker).
  openssl x509 -in "$d/evf.pem" -outform DER -out "$d/evf.der"
  /usr/bin/python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); o=bytes.fromhex("06072a8648ce3d0201"); assert o in b; open(sys.argv[2],"wb").write(b.replace(o, bytes.fromhex("06072a8648ce3d02ff"), 1))' \
    "$d/evf.der" "$d/badkey.der"
  openssl x509 -inform DER -in "$d/badkey.der" -out "$d/badkey.pem" 2>/dev/null || cp "$d/badkey.der" "$d/badkey.pem"
  out=$("$e" ca import --name badkey --cert "$d/badkey.pem" 2>&1); rc=$?
  expect_contains "attacks: ca import of an undecodable key is refused" "$rc $out" "1 estfcgi: error: --cert:"

  attacks_names
  nginx_stop
}

# Names, OIDs and PEM as the seventh pass reads them (issue 24): a CSR's subject decoded
# once and its X509_NAME shared by threads, OIDs written from their arcs, PEM found by memchr.
attacks_names() {
  local d=$WORK/attacks-names P=/.well-known/est/names7/simpleenroll cn=310a300806035504030c0178 i
  mkdir -p "$d"
  "$ESTFCGI" profile create --profile names7 --issuer issuing --trust factory >/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/k.key" 2>/dev/null
  n7() { local name=$1; shift; /usr/bin/python3 "$HERE/evil_csr.py" "$d/$name.der" "$d/k.key" "$@"; }
  # n7try NAME STATUS WHAT: one enrollment; a 200 must carry the CSR's subject bytes.
  n7try() {
    post $P "$d/$1.der" boot boot
    local got=$STATUS
    if [ "$STATUS" = 200 ]; then
      p7certs "$WORK/resp.body" "$d/$1.pem"
      [ "$(python3 "$HERE/name_bytes.py" "$d/$1.pem" | cut -d' ' -f1)" = "$(n7subject "$d/$1.der")" ] || got="200 with another subject"
    elif [ ! -s "$WORK/resp.body" ]; then got="$STATUS without a reason"
    fi
    expect_eq "attacks: names: $3 -> $2" "$got" "$2"
  }
  n7subject() { python3 -c 'import sys; from cryptography import x509; print(x509.load_der_x509_csr(open(sys.argv[1],"rb").read()).subject.public_bytes().hex())' "$1" 2>/dev/null || echo "-"; }
  b128() { python3 -c 'import sys
v=int(sys.argv[1]); out=[v&0x7f]; v>>=7
while v: out.append(0x80|(v&0x7f)); v>>=7
print(bytes(reversed(out)).hex())' "$1"; }
  # rdnhex OID-CONTENT-HEX: one RDN of that attribute type and UTF8String "abc".
  rdnhex() { python3 -c 'import sys
o=bytes.fromhex(sys.argv[1]); a=bytes([6,len(o)])+o+bytes.fromhex("0c03616263"); a=bytes([0x30,len(a)])+a
print((bytes([0x31,len(a)])+a).hex())' "$1"; }

  # A store CA's subject in string types RFC 5280 §7.1 folds together, or in one RDN.
  n7 t61-ca --rdn '2.5.4.10:14:estfcgi demo' --rdn '2.5.4.3:14:estfcgi Demo Issuing CA'
  n7try t61-ca 400 "a store CA's subject as T61String"
  n7 univ-ca --rdn '2.5.4.10:0c:estfcgi demo' --rdn-raw "$(python3 -c 'v="estfcgi demo issuing ca".encode("utf-32-be"); a=bytes.fromhex("0603550403")+bytes([0x1c,len(v)])+v; a=bytes([0x30,len(a)])+a; print((bytes([0x31,len(a)])+a).hex())')"
  n7try univ-ca 400 "a store CA's subject with a UniversalString CN"
  n7 multi-ca --rdn-multi '2.5.4.3:0c:estfcgi Demo Issuing CA' '2.5.4.10:0c:estfcgi demo'
  n7try multi-ca 400 "a store CA's subject as one multi-valued RDN"
  # Odd but valid subjects are issued with their bytes.
  n7 utf8 --rdn '2.5.4.10:0c:Gerätebau München' --rdn '2.5.4.3:0c:gerät-7 日本'
  n7try utf8 200 "non-ASCII UTF8String values"
  n7 many100 $(for i in $(seq 100); do echo --rdn 2.5.4.11:0c:u$i; done) --rdn 2.5.4.3:0c:many
  n7try many100 200 "101 RDNs"
  n7 multi3 --rdn-multi '2.5.4.3:0c:m3' '2.5.4.10:0c:org' --rdn 2.5.4.11:0c:x
  n7try multi3 200 "a multi-valued RDN in DER order"
  n7 empty
  n7try empty 400 "an empty subject and no subjectAltName"
  # Attribute types: arcs up to 2^64 - 1 are read (and named as OpenSSL names them),
  # past 64 bits refused, padding (X.690 §8.19.2) and empty OIDs are not DER.
  n7 type-max --rdn-raw "$(rdnhex "5504$(b128 18446744073709551615)")" --rdn-raw $cn
  n7try type-max 200 "an attribute type with an arc of 2^64 - 1"
  check "attacks: names: ... named 2.5.4.18446744073709551615 in the log" grep -q 'issued CN=x,2\.5\.4\.18446744073709551615=#0C03616263"' "$WORK/nginx/estfcgi.log"
  n7 type-first --rdn-raw "$(rdnhex "$(b128 18446744073709551615)")" --rdn-raw $cn
  n7try type-first 200 "an attribute type whose first subidentifier is 2^64 - 1"
  check "attacks: names: ... named 2.18446744073709551535 (X.690 §8.19.4)" grep -q 'issued CN=x,2\.18446744073709551535=#0C03616263"' "$WORK/nginx/estfcgi.log"
  # n7arc NAME WHAT: refused 400 with a reason that names the fault, and audited like any
  # other refused CSR (the CSR is read, the OID named, and policy refuses it).
  n7arc() {
    local before; before=$(audit_count)
    post $P "$d/$1.der" boot boot
    expect_eq "attacks: names: $2 -> 400 'OID arc too large', audited" \
      "$STATUS $(grep -c 'OID arc too large' "$WORK/resp.body") $(( $(audit_count) - before ))" "400 1 1"
  }
  n7 type-65 --rdn-raw "$(rdnhex "5504$(b128 18446744073709551616)")" --rdn-raw $cn
  n7arc type-65 "an attribute type with an arc of 2^64"
  check "attacks: names: ... the log names the OID" grep -q 'reason="CSR subject attribute type 2\.5\.4\.18446744073709551616: OID arc too large' "$WORK/nginx/estfcgi.log"
  n7 type-first-65 --rdn-raw "$(rdnhex "$(b128 18446744073709551696)")" --rdn-raw $cn
  n7arc type-first-65 "an attribute type whose first subidentifier is 2^64 + 80"
  check "attacks: names: ... named 2.18446744073709551616 (X.690 §8.19.4)" grep -q 'reason="CSR subject attribute type 2\.18446744073709551616: OID arc' "$WORK/nginx/estfcgi.log"
  openssl req -new -key "$d/k.key" -subj /CN=arcs -outform DER -out "$d/arcs-base.der"
  /usr/bin/python3 "$HERE/csr_with_attrs.py" "$d/arcs-base.der" "$d/k.key" "$d/attr-65.der" "1.2.840.113549.1.9.18446744073709551616=0c03616263"
  n7arc attr-65 "a CSR attribute whose type has an arc of 2^64"
  /usr/bin/python3 "$HERE/csr_with_attrs.py" "$d/arcs-base.der" "$d/k.key" "$d/ext-65.der" "1.2.840.113549.1.9.14=$(python3 -c 'import sys
sys.path.insert(0, sys.argv[1]); from csr_with_attrs import oid, tlv
print(tlv(0x30, tlv(0x30, oid("1.3.6.1.4.1.18446744073709551616") + tlv(0x04, bytes.fromhex("0500")))).hex())' "$HERE")"
  n7arc ext-65 "a requested extension whose OID has an arc of 2^64"
  n7 type-pad --rdn-raw "$(rdnhex 55800403)" --rdn-raw $cn
  n7try type-pad 400 "an attribute type with 0x80 padding"
  n7 type-empty --rdn-raw 3109300706000c03616263 --rdn-raw $cn
  n7try type-empty 400 "an attribute type of no octets"
  # The key's curve: padded, past 64 bits, a long arc after P-256's OID.
  n7 curve-pad --rdn 2.5.4.3:0c:cp --curve-oid 06092a8648ce3d03018007
  n7try curve-pad 400 "P-256's OID with 0x80 padding"
  n7 curve-65 --rdn 2.5.4.3:0c:c65 --curve-oid "0612$(echo 2a8648ce3d030107)$(b128 18446744073709551616)"
  n7try curve-65 400 "a curve OID with an arc of 2^64"
  n7 curve-max --rdn 2.5.4.3:0c:cmx --curve-oid "0612$(echo 2a8648ce3d030107)$(b128 18446744073709551615)"
  n7try curve-max 400 "a curve OID with an arc of 2^64 - 1"

  # The shared X509_NAME read by many threads: 32 enrollments at once of four subjects,
  # each issued with its own subject's bytes.
  local pids=() names=(utf8 many100 multi3 type-max) n
  for i in $(seq 0 31); do
    n=${names[$((i % 4))]}
    curl -sS --max-time 60 -o "$d/par$i.b64" -w '%{http_code}' --cacert "$WORK/tls-ca.pem" --cert "$WORK/boot.pem" \
      --key "$WORK/boot.key" -H 'Content-Type: application/pkcs10' --data-binary "@$d/$n.der" "$BASE$P" > "$d/par$i.code" 2>/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}"
  local same=0
  for i in $(seq 0 31); do
    n=${names[$((i % 4))]}
    [ "$(cat "$d/par$i.code")" = 200 ] && p7certs "$d/par$i.b64" "$d/par$i.pem" 2>/dev/null &&
      [ "$(python3 "$HERE/name_bytes.py" "$d/par$i.pem" | cut -d' ' -f1)" = "$(n7subject "$d/$n.der")" ] && same=$((same + 1))
  done
  expect_eq "attacks: names: 32 concurrent enrollments of four odd subjects, each issued its own subject" "$same" 32

  # PEM bodies (RFC 7030 asks for base64 DER; PEM is read too): the first CERTIFICATE
  # REQUEST block counts, whatever surrounds it; a broken or truncated marker is not PEM.
  local pem=$d/pem.csr
  openssl req -inform DER -in "$d/utf8.der" -out "$pem" 2>/dev/null
  pemtry() { cp "$d/$1.body" "$d/$1.der"; post $P "$d/$1.der" boot boot
    expect_eq "attacks: names: PEM $3 -> $2" "$STATUS$([ "$STATUS" != 200 ] && [ ! -s "$WORK/resp.body" ] && echo ' without a reason')" "$2"; }
  { printf 'junk before\n'; cat "$pem"; printf 'junk after\n'; } > "$d/pem-junk.body"; pemtry pem-junk 200 "with junk before and after"
  { printf '\0\0\n'; cat "$pem"; } > "$d/pem-nul.body"; pemtry pem-nul 200 "after NUL bytes"
  cat "$WORK/boot.pem" "$pem" > "$d/pem-two.body"; pemtry pem-two 200 "after a CERTIFICATE block"
  cat "$pem" "$WORK/boot.pem" > "$d/pem-two-b.body"; pemtry pem-two-b 200 "before a CERTIFICATE block"
  sed 's/^-----BEGIN CERTIFICATE REQUEST-----$/-----BEGIN\nCERTIFICATE REQUEST-----/' "$pem" > "$d/pem-split.body"
  pemtry pem-split 400 "with '-----BEGIN ' split across lines"
  { head -c 65525 /dev/zero | tr '\0' 'A'; printf -- '-----BEGIN '; } > "$d/pem-end.body"
  pemtry pem-end 400 "marker as the last bytes of a 64 KiB body"
  { printf -- '-----BEGIN -----BEGIN '; cat "$pem"; } > "$d/pem-rep.body"; pemtry pem-rep 400 "after a stray marker"
}

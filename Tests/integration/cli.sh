# Command-level tests of the `estfcgi` admin CLI, checked with the real openssl CLI (sourced).
suite_cli() {
  local d=$WORK/cli e=$ESTFCGI out rc
  mkdir -p "$d"
  # A store of its own, so the EST suites' counts are unaffected.
  local ESTFCGI_DB=$d/ca.db
  export ESTFCGI_DB

  check "cli: --help" "$e" --help
  for sub in "init" "ca create" "ca import" "ca list" "ca export" "ca disable" "ca enable" "profile create" "profile list" "profile show" \
             "profile update" "profile delete" "cert issue" "cert list" "cert show" "cert revoke" "serve" "audit"; do
    check "cli: $sub --help" "$e" $sub --help
  done
  out=$("$e" ca list 2>&1); rc=$?
  expect_eq "cli: no store -> non-zero, one line" "$rc/$(printf '%s\n' "$out" | wc -l)" "1/1"

  check "cli: init" "$e" init
  check "cli: init is idempotent" "$e" init
  expect_eq "cli: store file mode 0600" "$(stat -c %a "$d/ca.db")" 600

  out=$(ESTFCGI_KEY_PASSPHRASE_FILE= "$e" ca create --name nopass --subject CN=x 2>&1); rc=$?
  expect_contains "cli: CA key needs a passphrase file" "$rc $out" "1 estfcgi: error: CA key passphrase needed"

  local k
  for k in ec-p256 ec-p384 ec-p521 rsa-2048 ed25519; do
    check "cli: ca create root ($k)" "$e" ca create --name "root-$k" --subject "CN=Root $k,O=Test" --key "$k" --days 400
  done
  expect_contains "cli: P-384 CA signs with SHA-384" "$("$e" ca export --name root-ec-p384 | openssl x509 -noout -text)" "ecdsa-with-SHA384"
  expect_contains "cli: P-521 CA signs with SHA-512" "$("$e" ca export --name root-ec-p521 | openssl x509 -noout -text)" "ecdsa-with-SHA512"
  expect_contains "cli: RSA CA signs with SHA-256" "$("$e" ca export --name root-rsa-2048 | openssl x509 -noout -text)" "sha256WithRSAEncryption"
  expect_contains "cli: Ed25519 CA signs with Ed25519" "$("$e" ca export --name root-ed25519 | openssl x509 -noout -text)" "Signature Algorithm: ED25519"

  check "cli: intermediate under a root" "$e" ca create --name sub --issuer root-ec-p384 --subject 'CN=Sub CA,O=Test' --path-len 0
  out=$("$e" ca create --name subsub --issuer sub --subject CN=x 2>&1); rc=$?
  expect_contains "cli: pathlen 0 CA cannot sign a CA" "$rc $out" "1 estfcgi: error: CA 'sub' has pathlen 0"
  "$e" ca export --name sub > "$d/sub-chain.pem"
  expect_eq "cli: export gives the CA then its chain" "$(grep -c 'BEGIN CERTIFICATE' "$d/sub-chain.pem")" 2
  "$e" ca export --name root-ec-p384 > "$d/root.pem"
  check "cli: intermediate verifies against its root" openssl verify -CAfile "$d/root.pem" "$d/sub-chain.pem"

  out=$("$e" profile create --aps simpleenroll --issuer sub 2>&1); rc=$?
  expect_contains "cli: operation name refused as label" "$rc $out" "1 estfcgi: error: profile label 'simpleenroll' is reserved"
  out=$("$e" profile create --aps 'bad/label' --issuer sub 2>&1); rc=$?
  expect_eq "cli: bad label -> non-zero" "$rc" 1
  check "cli: profile create --default" "$e" profile create --default --issuer sub --eku clientAuth
  check "cli: profile create --aps" "$e" profile create --aps lab --issuer sub --key-types ec-p256,rsa --validity-days 10
  out=$("$e" profile create --aps lab --issuer sub 2>&1); rc=$?
  expect_eq "cli: duplicate profile refused" "$rc" 1
  out=$("$e" profile create --aps x --issuer nosuch 2>&1); rc=$?
  expect_contains "cli: unknown issuer refused" "$rc $out" "1 estfcgi: error: no CA named 'nosuch'"
  check "cli: profile update" "$e" profile update --aps lab --reenroll-window-days 3 --revoke-on-reenroll
  out=$("$e" profile show --aps lab --json)
  expect_eq "cli: profile show --json reflects the update" \
    "$(printf %s "$out" | python3 -c 'import json,sys; p=json.load(sys.stdin); print(p["reenroll_window_days"], p["revoke_on_reenroll"], p["key_types"], p["issuer"])')" \
    "3 True ['ec-p256', 'rsa'] sub"
  expect_eq "cli: profile list --json is an array of 2" "$("$e" profile list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2

  # Leaves of every accepted key type, verified by openssl through the intermediate.
  local spec
  for spec in ec:P-256 ec:P-384 ec:P-521 rsa:2048 rsa:3072 ed25519; do
    case $spec in
      ec:*) openssl req -new -newkey ec -pkeyopt "ec_paramgen_curve:${spec#ec:}" -nodes -subj "/CN=leaf-$spec" -keyout "$d/l.key" -out "$d/l.csr" 2>/dev/null ;;
      *) openssl req -new -newkey "$spec" -nodes -subj "/CN=leaf-$spec" -keyout "$d/l.key" -out "$d/l.csr" 2>/dev/null ;;
    esac
    "$e" cert issue --default --csr "$d/l.csr" > "$d/l.pem"
    check "cli: $spec leaf verifies root -> intermediate -> leaf" openssl verify -CAfile "$d/root.pem" -untrusted "$d/sub-chain.pem" "$d/l.pem"
  done

  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=wants-ca' -keyout "$d/ca.key" \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
    -addext 'subjectAltName=DNS:wants-ca.example,IP:192.0.2.7' -out "$d/ca.csr" 2>/dev/null
  "$e" cert issue --default --csr "$d/ca.csr" > "$d/ca-leaf.pem"
  out=$(openssl x509 -in "$d/ca-leaf.pem" -noout -ext basicConstraints,keyUsage,subjectAltName)
  expect_contains "cli: CA:TRUE request yields CA:FALSE" "$out" "CA:FALSE"
  case $out in *"Certificate Sign"*|*"CRL Sign"*) not_ok "cli: keyCertSign/cRLSign never granted" ;; *) ok "cli: keyCertSign/cRLSign never granted" ;; esac
  expect_contains "cli: SAN copied from the CSR" "$out" "DNS:wants-ca.example, IP Address:192.0.2.7"
  check "cli: leaf lives 365 days (default validity)" openssl x509 -in "$d/ca-leaf.pem" -noout -checkend $((364 * 86400))
  check "cli: ... and no longer" bash -c "! openssl x509 -in '$d/ca-leaf.pem' -noout -checkend $((366 * 86400))"

  local before; before=$("$e" cert list | wc -l)
  openssl req -new -newkey rsa:1024 -nodes -subj '/CN=weak' -keyout "$d/w.key" -out "$d/w.csr" 2>/dev/null
  out=$("$e" cert issue --default --csr "$d/w.csr" 2>&1); rc=$?
  expect_eq "cli: RSA-1024 refused with one line" "$rc $out" "1 estfcgi: error: RSA key of 1024 bits refused (minimum 2048)"
  openssl req -in "$d/l.csr" -outform DER -out "$d/t.der"
  python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-3]^=1; open(sys.argv[1],"wb").write(bytes(b))' "$d/t.der"
  out=$("$e" cert issue --default --csr "$d/t.der" 2>&1); rc=$?
  expect_eq "cli: tampered CSR refused" "$rc $out" "1 estfcgi: error: CSR signature does not verify"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -subj '/CN=p384' -keyout "$d/p.key" -out "$d/p.csr" 2>/dev/null
  out=$("$e" cert issue --profile lab --csr "$d/p.csr" 2>&1); rc=$?
  expect_contains "cli: profile key-types narrow what is accepted" "$rc $out" "1 estfcgi: error: EC secp384r1 key not allowed"
  expect_eq "cli: refusals recorded nothing" "$("$e" cert list | wc -l)" "$before"

  # Serial formats and revocation.
  local serial; serial=$(openssl x509 -in "$d/ca-leaf.pem" -noout -serial | cut -d= -f2)
  local colons; colons=$(printf '00%s' "$serial" | sed 's/../&:/g; s/:$//')
  expect_contains "cli: cert show takes colons, case, leading zeros" "$("$e" cert show "$colons" --json)" "\"subject\" : \"CN=wants-ca\""
  check "cli: cert revoke" "$e" cert revoke "$(echo "$serial" | tr A-F a-f)" --reason keyCompromise
  out=$("$e" cert revoke "$serial" 2>&1); rc=$?
  expect_contains "cli: double revocation refused" "$rc $out" "already revoked"
  out=$("$e" cert list --status revoked --json)
  expect_eq "cli: cert list --status revoked" "$(printf %s "$out" | python3 -c 'import json,sys; c=json.load(sys.stdin); print(len(c), c[0]["status"], c[0]["revocation_reason"])')" "1 revoked keyCompromise"
  expect_eq "cli: cert list --expiring-within 15 (profile lab: 10-day certs)" "$("$e" cert list --expiring-within 15 | wc -l)" 0
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=short' -keyout "$d/s.key" -out "$d/s.csr" 2>/dev/null
  "$e" cert issue --profile lab --csr "$d/s.csr" > /dev/null
  expect_eq "cli: --expiring-within finds the 10-day certificate" "$("$e" cert list --expiring-within 15 --json | python3 -c 'import json,sys; print([c["subject"] for c in json.load(sys.stdin)])')" "['CN=short']"
  expect_eq "cli: --profile filter" "$("$e" cert list --profile lab | wc -l)" 1

  # Import: a trust-only anchor and an intermediate with its key.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj '/CN=Ext Root' \
    -addext 'basicConstraints=critical,CA:TRUE' -keyout "$d/ext.key" -out "$d/ext.pem" 2>/dev/null
  check "cli: ca import trust-only" "$e" ca import --name ext-anchor --cert "$d/ext.pem"
  expect_contains "cli: imported anchor has no key" "$("$e" ca list --json)" '"has_key" : false'
  out=$("$e" profile create --aps anchor --issuer ext-anchor 2>&1); rc=$?
  expect_contains "cli: trust-only CA cannot issue" "$rc $out" "has no private key"
  out=$("$e" ca import --name dup --cert "$d/ext.pem" 2>&1); rc=$?
  expect_contains "cli: same certificate not imported twice" "$rc $out" "already in the store"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj '/CN=Ext Issuing' \
    -addext 'basicConstraints=critical,CA:TRUE' -keyout "$d/ext2.key" -out "$d/ext2.pem" 2>/dev/null
  openssl pkey -in "$d/ext2.key" -aes256 -passout pass:importpass -out "$d/ext2-enc.key" 2>/dev/null
  echo importpass > "$d/inpass"; chmod 600 "$d/inpass"
  check "cli: ca import with an encrypted key" "$e" ca import --name ext-issuer --cert "$d/ext2.pem" --key "$d/ext2-enc.key" --key-in-passphrase-file "$d/inpass"
  check "cli: imported CA issues" "$e" profile create --aps imported --issuer ext-issuer
  "$e" cert issue --profile imported --csr "$d/l.csr" > "$d/imp-leaf.pem"
  check "cli: leaf of the imported CA verifies" openssl verify -CAfile "$d/ext2.pem" "$d/imp-leaf.pem"
  out=$("$e" ca import --name ext-wrong --cert "$d/root.pem" --key "$d/ext.key" 2>&1); rc=$?
  expect_contains "cli: key that does not match the certificate refused" "$rc $out" "--key does not match --cert"

  # 500 issuances from two concurrent processes: serials unique, nothing lost. (Each CLI
  # process decrypts the CA key once: PBKDF2 at 600,000 iterations, ~0.2 s of CPU.)
  before=$("$e" cert list | wc -l)
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=bulk' -keyout "$d/b.key" -out "$d/b.csr" 2>/dev/null
  local w
  for w in 1 2; do
    ( for i in $(seq 250); do "$e" cert issue --profile lab --csr "$d/b.csr" | openssl x509 -noout -serial; done > "$d/serials-$w" ) &
  done
  wait
  expect_eq "cli: 500 issuances, all printed" "$(cat "$d"/serials-* | wc -l)" 500
  expect_eq "cli: 500 serials unique" "$(cat "$d"/serials-* | sort -u | wc -l)" 500
  expect_eq "cli: 500 issuances recorded" "$("$e" cert list | wc -l)" $((before + 500))
  expect_eq "cli: serials are 128-bit positive (<= 32 hex digits, top bit clear)" \
    "$(cut -d= -f2 "$d"/serials-* | awk '{ if (length($0) > 32 || (length($0) == 32 && substr($0,1,1) ~ /[89A-F]/)) n++ } END { print n+0 }')" 0

  expect_eq "cli: no unencrypted private key in the store file" "$(grep -c -a -E 'BEGIN (RSA |EC )?PRIVATE KEY' "$d/ca.db")" 0
  check "cli: CA keys are stored as encrypted PKCS#8" grep -q -a 'BEGIN ENCRYPTED PRIVATE KEY' "$d/ca.db"
  echo wrong-passphrase > "$d/wrong"; chmod 600 "$d/wrong"
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE=$d/wrong "$e" cert issue --default --csr "$d/l.csr" 2>&1); rc=$?
  expect_contains "cli: wrong passphrase is a clear error" "$rc $out" "cannot decrypt the key of CA 'sub'"
  check "cli: audit rows record admin operations" test "$(sqlite3 "$d/ca.db" "SELECT count(*) FROM audit WHERE operation IN ('ca-create','profile-create','revoke','cert-issue')")" -gt 500

  # OIDs are ASCII dotted decimals: `1.٣` (an Arabic-Indic three) was once saved and then
  # made every issuance and /csrattrs of the profile answer 500.
  out=$("$e" profile create --aps oid --issuer sub --eku 'clientAuth,1.٣' 2>&1); rc=$?
  expect_contains "cli: a non-ASCII OID in --eku is refused" "$rc $out" "1 estfcgi: error: unknown extended key usage '1.٣'"
  out=$("$e" profile create --aps oid --issuer sub --csrattrs '1.٣' 2>&1); rc=$?
  expect_contains "cli: a non-ASCII OID in --csrattrs is refused" "$rc $out" "1 estfcgi: error: unknown csrattrs item '1.٣'"
  expect_eq "cli: ... and nothing was saved" "$("$e" profile list | grep -c '^oid')" 0
  check "cli: a custom EKU OID is kept" "$e" profile create --aps oid --issuer sub --eku 'clientAuth,1.3.6.1.5.5.7.3.17'
  "$e" cert issue --profile oid --csr "$d/l.csr" > "$d/oid.pem"
  expect_contains "cli: ... and issued" "$(openssl x509 -in "$d/oid.pem" -noout -ext extendedKeyUsage)" "ipsec Internet Key Exchange"

  # A pattern that is not a regular expression is refused when saved, never taken later as
  # "no match"; a store that holds one anyway (older version, SQL by hand) is doctor's FAIL
  # and refuses issuance as the operator's misconfiguration.
  out=$("$e" profile create --profile re --issuer sub --cn-pattern 'dev-(' 2>&1); rc=$?
  expect_eq "cli: profile create refuses an invalid --cn-pattern" "$rc $out" "1 estfcgi: error: --cn-pattern is not a valid regular expression"
  expect_eq "cli: ... and nothing was saved" "$("$e" profile list | grep -c '^re\b')" 0
  check "cli: a valid --cn-pattern is kept" "$e" profile create --profile re --issuer sub --cn-pattern 'leaf-[0-9]+'
  out=$("$e" profile update --profile re --dns-pattern '[a-z' 2>&1); rc=$?
  expect_eq "cli: profile update refuses an invalid --dns-pattern" "$rc $out" "1 estfcgi: error: --dns-pattern is not a valid regular expression"
  expect_eq "cli: ... and the profile is unchanged" \
    "$("$e" profile show --profile re --json | python3 -c 'import json,sys; p=json.load(sys.stdin); print(p["cn_pattern"], p["dns_pattern"])')" \
    "leaf-[0-9]+ None"
  sqlite3 "$d/ca.db" "UPDATE profiles SET cn_pattern = 'leaf-(' WHERE label = 're'"
  before=$("$e" cert list | wc -l)
  out=$("$e" cert issue --profile re --csr "$d/l.csr" 2>&1); rc=$?
  expect_eq "cli: a stored invalid pattern refuses issuance as misconfiguration, not as no match" "$rc $out" \
    "1 estfcgi: error: profile misconfigured: its --cn-pattern is not a valid regular expression (see estfcgi doctor)"
  expect_eq "cli: ... and nothing was recorded" "$("$e" cert list | wc -l)" "$before"
  out=$("$e" doctor 2>&1); rc=$?
  expect_contains "cli: doctor FAILs a stored invalid pattern" "$rc $out" \
    "FAIL  profile re  --cn-pattern is not a valid regular expression: every request is refused (500)"
  expect_eq "cli: ... exit 1" "$rc" 1
  out=$("$e" profile update --profile re --validity-days 5 2>&1); rc=$?
  expect_eq "cli: updating another setting asks for the pattern to be fixed first" "$rc $out" \
    "1 estfcgi: error: --cn-pattern is not a valid regular expression"
  check "cli: profile update fixes the pattern" "$e" profile update --profile re --cn-pattern ''
  check "cli: ... and the profile issues again" "$e" cert issue --profile re --csr "$d/l.csr"

  # --profile is the documented selector everywhere; --aps (Lamassu's name) still works.
  check "cli: profile show --aps still works" "$e" profile show --aps lab
  check "cli: cert issue --aps still works" "$e" cert issue --aps lab --csr "$d/s.csr"

  # A CA can be disabled and enabled; a disabled CA issues nothing.
  check "cli: ca disable" "$e" ca disable --name sub
  expect_contains "cli: ca list shows disabled" "$("$e" ca list)" "$(printf 'sub\tissuer\tdisabled')"
  before=$("$e" cert list | wc -l)
  out=$("$e" cert issue --profile lab --csr "$d/s.csr" 2>&1); rc=$?
  expect_eq "cli: a disabled CA does not issue" "$rc $out" "1 estfcgi: error: issuing CA 'sub' is disabled"
  expect_eq "cli: ... and nothing was recorded" "$("$e" cert list | wc -l)" "$before"
  out=$("$e" ca disable --name sub 2>&1); rc=$?
  expect_contains "cli: disabling twice is refused" "$rc $out" "1 estfcgi: error: CA 'sub' is already disabled"
  check "cli: ca enable" "$e" ca enable --name sub
  check "cli: an enabled CA issues again" "$e" cert issue --profile lab --csr "$d/s.csr"
  expect_eq "cli: ca disable/enable are audited" \
    "$(sqlite3 "$d/ca.db" "SELECT group_concat(operation) FROM audit WHERE operation LIKE 'ca-%able'")" "ca-disable,ca-enable"

  # The socket is the trust boundary: `--listen PATH` (no colon) is a unix socket and gets
  # --socket-mode like `--socket` does (it was once left at mode 000, unchecked).
  local sock=$d/listen.sock pid
  "$e" serve --listen "$sock" --workers 1 2>/dev/null & pid=$!
  for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
  expect_eq "cli: serve --listen PATH makes a mode-660 unix socket" "$(stat -c %a "$sock" 2>/dev/null)" 660
  kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null

  # crl --out into a directory others can write (issue 20 item 4): the temporary file was
  # ".NAME.<pid>.tmp", written through whatever link was there, then chmod'ed and renamed.
  # A link at every such name (every pid there can be next) to a 0600 file must change nothing.
  local sticky=$d/sticky victim=$d/victim
  mkdir "$sticky"; chmod 1777 "$sticky"
  printf 'root secret\n' > "$victim"; chmod 600 "$victim"
  python3 - "$sticky" "$victim" <<'PY'
import sys, os
d, victim = sys.argv[1], sys.argv[2]
pid_max = int(open("/proc/sys/kernel/pid_max").read())
last = int(open("/proc/sys/kernel/ns_last_pid").read())
# All of them when pid_max is small (32768 here); else the next 32768 from the last pid.
wrap = lambda p: p if p < pid_max else p - pid_max + 300  # Linux starts again at 300
pids = range(1, pid_max) if pid_max <= 32768 else (wrap(last + i) for i in range(1, 32768))
for pid in pids:
    os.symlink(victim, f"{d}/.sub.crl.{pid}.tmp")
PY
  out=$("$e" crl --ca sub --out "$sticky/sub.crl" 2>&1); rc=$?
  expect_contains "cli: crl --out into a sticky world-writable dir full of planted links" "$rc $out" "0 CRL "
  expect_eq "cli: ... the 0600 file they point at is unchanged" "$(stat -c %a "$victim") $(cat "$victim")" "600 root secret"
  check "cli: ... the CRL is written, a regular file" test -f "$sticky/sub.crl" -a ! -L "$sticky/sub.crl"
  check "cli: ... that openssl reads" openssl crl -inform DER -in "$sticky/sub.crl" -noout
  expect_eq "cli: ... mode 644, owned by who ran it" "$(stat -c '%a %u' "$sticky/sub.crl")" "644 $(id -u)"
  expect_eq "cli: ... no temporary file left behind" "$(find "$sticky" -mindepth 1 ! -type l ! -name sub.crl | wc -l)" 0
  rm -rf "$sticky"
  cli_key_file
  cli_passphrase_line_end
}

# The store passphrase is the file's first line without its line end, LF or CR LF: a store
# made with a CR LF file (a Windows editor) goes on with the same words in an LF file.
cli_passphrase_line_end() {
  local d=$WORK/cli-crlf e=$ESTFCGI out rc
  mkdir -p "$d"
  local ESTFCGI_DB=$d/ca.db
  export ESTFCGI_DB
  printf 'correct horse battery\r\n' > "$d/crlf"; printf 'correct horse battery\n' > "$d/lf"; chmod 600 "$d/crlf" "$d/lf"
  ESTFCGI_KEY_PASSPHRASE_FILE=$d/crlf "$e" init >/dev/null
  ESTFCGI_KEY_PASSPHRASE_FILE=$d/crlf "$e" ca create --name crlf --subject 'CN=CRLF CA' --days 400 >/dev/null
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE=$d/lf "$e" doctor 2>&1)
  expect_contains "cli: a CA made with a CR LF passphrase file opens with the same words in an LF file" "$out" "OK    ca crlf  key decrypts with the passphrase"
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE=$d/crlf "$e" doctor 2>&1)
  expect_contains "cli: ... and with the CR LF file" "$out" "OK    ca crlf  key decrypts with the passphrase"
  rm -rf "$d"
}

# The key file (issue 24 item 3): made by init (O_EXCL, 0600, never printed), held to the
# passphrase file's rules and more (no symlink, no other-readable mode), sealing CA keys;
# `ca rekey-protection` moves every stored key (CAs, generations, OCSP signers) both ways
# in one audited transaction; doctor reports which key uses which.
cli_key_file() {
  local d=$WORK/cli-kf e=$ESTFCGI out rc
  mkdir -p "$d"
  local ESTFCGI_DB=$d/ca.db kf=$d/key pass=$ESTFCGI_KEY_PASSPHRASE_FILE
  export ESTFCGI_DB
  out=$("$e" init --create-key-file 2>&1); rc=$?
  expect_contains "cli key file: --create-key-file needs a path" "$rc $out" "1 estfcgi: error: --create-key-file needs --key-file FILE"
  out=$(ESTFCGI_KEY_FILE=$kf "$e" init --create-key-file 2>&1); rc=$?
  expect_contains "cli key file: init --create-key-file" "$rc $out" "0 key file $kf created (mode 600, id "
  expect_eq "cli key file: ... mode 600, 64 hex digits and a newline" "$(stat -c %a "$kf") $(grep -cE '^[0-9a-f]{64}$' "$kf") $(stat -c %s "$kf")" "600 1 65"
  check "cli key file: ... the secret is not printed" bash -c "! grep -qF '$(cat "$kf")' <<< '$out'"
  local before; before=$(sha256sum < "$kf")
  out=$("$e" init --key-file "$kf" --create-key-file 2>&1); rc=$?
  expect_contains "cli key file: an existing file is never replaced" "$rc $out" "1 estfcgi: error: key file $kf already exists"
  expect_eq "cli key file: ... and is unchanged" "$(sha256sum < "$kf")" "$before"

  # A CA under the passphrase (with an earlier generation and an OCSP signer), one under the key file.
  ESTFCGI_KEY_PASSPHRASE_FILE=$pass "$e" ca create --name pp --subject 'CN=KF Passphrase CA' --days 400 >/dev/null
  ESTFCGI_KEY_PASSPHRASE_FILE=$pass "$e" ca rollover --name pp >/dev/null
  ESTFCGI_KEY_PASSPHRASE_FILE=$pass "$e" ca ocsp-signer --name pp >/dev/null
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE= "$e" ca create --key-file "$kf" --name kfca --subject 'CN=KF Sealed CA' --days 400 2>&1); rc=$?
  expect_eq "cli key file: ca create with only the key file" "$rc" 0
  expect_eq "cli key file: ... the key is recorded as hkdf-sha256-keyfile" \
    "$(sqlite3 "$ESTFCGI_DB" "SELECT key_protection || ' ' || substr(encrypted_key, 1, 42) FROM cas WHERE name = 'kfca'")" \
    "hkdf-sha256-keyfile -----BEGIN ESTFCGI SEALED PRIVATE KEY-----"
  "$e" profile create --profile kf --issuer kfca >/dev/null
  "$e" profile create --profile pp --issuer pp >/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=kf-leaf' -keyout "$d/leaf.key" -out "$d/leaf.csr" 2>/dev/null
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE= ESTFCGI_KEY_FILE=$kf "$e" cert issue --profile kf --csr "$d/leaf.csr" 2>&1); rc=$?
  expect_contains "cli key file: a sealed CA key signs with the key file alone" "$rc $out" "0 -----BEGIN CERTIFICATE-----"
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE=$pass "$e" cert issue --profile kf --csr "$d/leaf.csr" 2>&1); rc=$?
  expect_contains "cli key file: ... the passphrase alone says a key file is needed" "$rc $out" \
    "1 estfcgi: error: the key of CA 'kfca' is sealed under a key file: use --key-file or ESTFCGI_KEY_FILE"

  # The file's rules: other-readable, a symlink, not a key file: refused, naming the file, never its content.
  chmod 644 "$kf"
  out=$(ESTFCGI_KEY_FILE=$kf "$e" cert issue --profile kf --csr "$d/leaf.csr" 2>&1); rc=$?
  expect_eq "cli key file: mode 644 is refused" "$rc $out" "1 estfcgi: error: key file $kf is open to others (mode 644): chmod 600 it"
  chmod 600 "$kf"; ln -s "$kf" "$d/link"
  out=$(ESTFCGI_KEY_FILE=$d/link "$e" cert issue --profile kf --csr "$d/leaf.csr" 2>&1); rc=$?
  expect_eq "cli key file: a symlink is refused" "$rc $out" "1 estfcgi: error: key file $d/link is a symbolic link (name the file itself)"
  echo 'correct horse battery staple' > "$d/notkey"; chmod 600 "$d/notkey"
  out=$(ESTFCGI_KEY_FILE=$d/notkey "$e" cert issue --profile kf --csr "$d/leaf.csr" 2>&1); rc=$?
  expect_contains "cli key file: a passphrase given as the key file is refused" "$rc $out" "1 estfcgi: error: key file $d/notkey is not a key file"
  check "cli key file: ... without echoing it" bash -c "! grep -q horse <<< '$out'"

  # rekey-protection to the key file: every key, one transaction, one audit event.
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE=$pass "$e" ca rekey-protection --to key-file 2>&1); rc=$?
  expect_contains "cli key file: rekey-protection --to key-file without the key file -> refused" "$rc $out" "1 estfcgi: error: --to key-file needs the key file"
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE=$pass ESTFCGI_KEY_FILE=$kf "$e" ca rekey-protection --to key-file 2>&1); rc=$?
  expect_eq "cli key file: rekey-protection --to key-file moves the CA, its generation and its OCSP signer" "$rc $out" \
    "0 CA 'pp': key now hkdf-sha256-keyfile
CA 'pp' generation 1: key now hkdf-sha256-keyfile
OCSP signer of CA 'pp': key now hkdf-sha256-keyfile"
  local q="SELECT key_protection FROM cas WHERE encrypted_key IS NOT NULL UNION ALL SELECT key_protection FROM ca_generations WHERE encrypted_key IS NOT NULL UNION ALL SELECT key_protection FROM ocsp_signers WHERE encrypted_key IS NOT NULL"
  expect_eq "cli key file: ... every stored key is now sealed" "$(sqlite3 "$ESTFCGI_DB" "$q" | sort | uniq -c | tr -s ' ')" " 4 hkdf-sha256-keyfile"
  expect_eq "cli key file: ... audited once" "$(sqlite3 "$ESTFCGI_DB" "SELECT count(*) || ' ' || max(reason) FROM audit WHERE operation = 'ca-key-protect'")" \
    "1 3 keys now hkdf-sha256-keyfile: CA 'pp', CA 'pp' generation 1, OCSP signer of CA 'pp'"
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE= ESTFCGI_KEY_FILE=$kf "$e" cert issue --profile pp --csr "$d/leaf.csr" 2>&1); rc=$?
  expect_contains "cli key file: ... and the moved CA signs with the key file alone" "$rc $out" "0 -----BEGIN CERTIFICATE-----"
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE=$pass ESTFCGI_KEY_FILE=$kf "$e" ca rekey-protection --to key-file 2>&1)
  expect_eq "cli key file: ... a second run has nothing to do" "$out" "every stored key is already hkdf-sha256-keyfile"

  # doctor with the key file alone.
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE= ESTFCGI_KEY_FILE=$kf "$e" doctor 2>&1); rc=$?
  expect_eq "cli key file: doctor with the key file alone: exit 0" "$rc" 0
  expect_contains "cli key file: ... the key file, its mode and id" "$out" "OK    key file  $kf: mode 600, id "
  expect_contains "cli key file: ... each CA key decrypts" "$out" "OK    ca pp  key decrypts with the key file (hkdf-sha256-keyfile)"
  expect_contains "cli key file: ... which protection the keys use" "$out" "OK    key protection  CA keys: 2 under the key file (hkdf-sha256-keyfile), 0 under the passphrase"
  "$e" init --key-file "$d/other" --create-key-file >/dev/null
  out=$(ESTFCGI_KEY_FILE=$d/other "$e" doctor 2>&1); rc=$?
  expect_contains "cli key file: doctor with another key file -> FAIL naming both ids" "$rc $out" "1 "
  expect_contains "cli key file: ... (the CA line)" "$out" "FAIL  ca pp  cannot decrypt the key of CA 'pp' with key file $d/other: sealed with key file"
  chmod 640 "$kf"; out=$(ESTFCGI_KEY_FILE=$kf "$e" doctor 2>&1); chmod 600 "$kf"
  expect_contains "cli key file: doctor shows a group-readable key file's mode" "$out" "OK    key file  $kf: mode 640"
  chmod 604 "$kf"; out=$(ESTFCGI_KEY_FILE=$kf "$e" doctor 2>&1); rc=$?; chmod 600 "$kf"
  expect_contains "cli key file: doctor FAILs an other-readable key file" "$rc $out" "FAIL  key file  key file $kf is open to others (mode 604)"

  # And back to the passphrase: doctor then advises the key file for CGI.
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE=$pass ESTFCGI_KEY_FILE=$kf "$e" ca rekey-protection --to passphrase 2>&1); rc=$?
  expect_eq "cli key file: rekey-protection --to passphrase: 4 keys, exit 0" "$rc $(printf '%s\n' "$out" | grep -c 'key now pbkdf2-sha256-600000')" "0 4"
  expect_eq "cli key file: ... every stored key is under the passphrase" "$(sqlite3 "$ESTFCGI_DB" "$q" | sort | uniq -c | tr -s ' ')" " 4 pbkdf2-sha256-600000"
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE=$pass "$e" cert issue --profile kf --csr "$d/leaf.csr" 2>&1); rc=$?
  expect_contains "cli key file: ... the passphrase alone signs again" "$rc $out" "0 -----BEGIN CERTIFICATE-----"
  out=$(ESTFCGI_KEY_PASSPHRASE_FILE=$pass "$e" doctor 2>&1); rc=$?
  expect_contains "cli key file: doctor advises the key file for CGI" "$rc $out" "0 "
  expect_contains "cli key file: ... (the advice)" "$out" "0 under the key file (hkdf-sha256-keyfile), 2 under the passphrase (PBKDF2)
      fix: for CGI (a process per request) or any unattended server, a key file saves ~0.2 s of PBKDF2 per process"
}

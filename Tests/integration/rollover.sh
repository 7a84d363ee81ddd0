# Root key rollover (RFC 4210 §4.4, RFC 7030 §4.1.3) and intermediate renewal, through nginx
# with curl + openssl (sourced). A root and an issuing CA of their own (rroot, rsub) under
# profile `roll`, so that the demo CAs other suites use are untouched. Device A trusts the
# old root only, device B the new root only; each runs `openssl verify` at every stage, with
# the certificates of /cacerts that are not self-signed as untrusted intermediates (a
# self-signed one is an anchor or nothing, and OpenSSL takes the first issuer that matches).

# rollover_cacerts NAME: GET /roll/cacerts into $WORK/NAME.pem (all) and NAME-links.pem (not self-signed).
rollover_cacerts() {
  est GET /.well-known/est/roll/cacerts
  p7certs "$WORK/resp.body" "$WORK/$1.pem"
  python3 - "$WORK/$1.pem" "$WORK/$1-links.pem" <<'PY'
import sys
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
certs = x509.load_pem_x509_certificates(open(sys.argv[1], "rb").read())
def self_signed(c):
    try:
        c.verify_directly_issued_by(c)
        return True
    except Exception:
        return False
with open(sys.argv[2], "wb") as f:
    for c in certs:
        if not self_signed(c):
            f.write(c.public_bytes(Encoding.PEM))
PY
}

# rollover_verify LABEL ROOT CERT UNTRUSTED: openssl verify CERT against ROOT alone.
rollover_verify() {
  check "$1" openssl verify -x509_strict -CAfile "$WORK/$2" -untrusted "$WORK/$4" "$WORK/$3"
}

# rollover_enroll NAME CN CERT [re]: a new key and CSR for CN, sent with TLS identity CERT
# (CERT.pem, CERT.key); the certificate in $WORK/NAME.pem.
rollover_enroll() {
  mkcsr "$1" ec-P-256 "/CN=$2/O=Example Devices"
  post "/.well-known/est/roll/simple${4:-}enroll" "$WORK/$1.csr" "$3" "$3"
  expect_eq "rollover: ${4:-}enroll $1 -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/$1.pem"
}

# rollover_cdp_verify LABEL CERT ROOT LINKS EXPECT: the CRL at CERT's own distribution point,
# fetched with curl, then openssl verify -crl_check of CERT against ROOT alone: EXPECT in its output.
rollover_cdp_verify() {
  local url out
  url=$(openssl x509 -in "$WORK/$2" -noout -ext crlDistributionPoints | sed -n 's/^ *URI://p')
  STATUS=$(curl -sS --max-time 20 --cacert "$WORK/tls-ca.pem" -o "$WORK/cdp.der" -w '%{http_code}' "$url" 2>&1)
  openssl crl -inform DER -in "$WORK/cdp.der" -out "$WORK/cdp.crl" 2>/dev/null
  out=$(openssl verify -crl_check -CAfile "$WORK/$3" -untrusted "$WORK/$4" -CRLfile "$WORK/cdp.crl" "$WORK/$2" 2>&1)
  expect_contains "$1 (GET ${url#*/est/} -> $STATUS)" "$out" "$5"
}

suite_rollover() {
  local s=rollover e=$ESTFCGI out rc
  $e ca create --name rroot --subject 'CN=Rollover Root,O=estfcgi test' --key ec-p384 --days 3650 > "$WORK/rv-old-root.pem"
  $e ca create --name rsub --issuer rroot --subject 'CN=Rollover Issuing,O=estfcgi test' --path-len 0 --days 1825 >/dev/null
  $e profile create --profile roll --issuer rsub --trust factory >/dev/null
  if ! nginx_start; then not_ok "$s: front and responder start"; nginx_stop; return; fi
  BASE=https://127.0.0.1:$NGINX_PORT
  # Certificates carry their CRL's URL, fixed at issuance: /crl/CA for a CA's first key,
  # /crl/CA(N) for its N-th later one. rootp issues from the root itself.
  $e profile update --profile roll --crl-url "$BASE/.well-known/est/crl/{ca}" >/dev/null
  $e profile create --profile rootp --issuer rroot --trust factory --crl-url "$BASE/.well-known/est/crl/{ca}" >/dev/null
  # A label URL serves the CA's current key's CRL only (doctor's finding after the rollover).
  $e profile create --profile rlabel --issuer rroot --trust factory --crl-url "$BASE/.well-known/est/rlabel/crl" >/dev/null
  mkcsr rv-l1 ec-P-256 "/CN=rv-l1/O=Example Devices"
  post /.well-known/est/rlabel/simpleenroll "$WORK/rv-l1.csr" boot boot
  expect_eq "$s: before: enroll rv-l1 under a label CRL URL -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/rv-l1.pem"
  mkcsr rv-r1 ec-P-256 "/CN=rv-r1/O=Example Devices"
  post /.well-known/est/rootp/simpleenroll "$WORK/rv-r1.csr" boot boot
  expect_eq "$s: before: enroll rv-r1 from the root itself -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/rv-r1.pem"
  expect_eq "$s: before: rv-r1's distribution point is the root's first key's URL" \
    "$(openssl x509 -in "$WORK/rv-r1.pem" -noout -ext crlDistributionPoints | sed -n 's/^ *URI://p')" "$BASE/.well-known/est/crl/rroot"

  # --- before: one chain ---------------------------------------------------------------
  rollover_cacerts rv-cacerts-0
  expect_eq "$s: before: /cacerts holds the issuing CA and the root" "$(grep -c 'BEGIN CERT' "$WORK/rv-cacerts-0.pem")" 2
  rollover_enroll rv-dev1 rv-dev1 boot
  rollover_enroll rv-dev4 rv-dev4 boot
  rollover_verify "$s: before: device A (old root) verifies dev1" rv-old-root.pem rv-dev1.pem rv-cacerts-0-links.pem

  # Refusals that make no sense, each with its reason and nothing changed.
  out=$($e ca rollover --name rsub 2>&1); expect_contains "$s: rollover of an intermediate is refused" "$out" "is not a root"
  out=$($e ca renew --name rroot 2>&1); expect_contains "$s: renew of a root is refused" "$out" "is a root"
  out=$($e ca rollover --name rroot --finish 2>&1); expect_contains "$s: --finish with no rollover is refused" "$out" "no rollover in progress"
  out=$($e ca renew --name rsub --issuer factory-less 2>&1); expect_contains "$s: renew under an unknown issuer is refused" "$out" "no CA named"
  $e ca import --name rtrust --cert "$WORK/rv-old-root.pem" >/dev/null 2>&1 || true  # same cert: refused, stays absent
  out=$($e ca rollover --name rroot --key bogus 2>&1); expect_contains "$s: rollover with an unknown key type is refused" "$out" "--key must be one of"

  # --- rollover: the overlap -------------------------------------------------------------
  $e crl --ca rroot --out "$WORK/rv-root-pre.crl" >/dev/null 2>&1
  $e ca rollover --name rroot --days 3650 > "$WORK/rv-rollover.pem"
  # Until the first crl run after it, the first key's URL keeps serving what that key signed.
  est GET '/.well-known/est/crl/rroot'
  expect_eq "$s: right after the rollover, /crl/CA still serves the old key's CRL -> 200" "$STATUS" 200
  check "$s: ... signed by the old root key" openssl crl -inform DER -in "$WORK/resp.body" -noout -CAfile "$WORK/rv-old-root.pem"
  est GET '/.well-known/est/crl/rroot(1)'
  expect_eq "$s: ... and the new key's URL has no CRL until one is signed -> 404 (not the old key's)" "$STATUS" 404
  expect_eq "$s: rollover prints NewWithNew, NewWithOld, OldWithNew" "$(grep -c 'BEGIN CERT' "$WORK/rv-rollover.pem")" 3
  $e ca export --name rroot > "$WORK/rv-new-root.pem"
  out=$($e ca rollover --name rroot 2>&1); expect_contains "$s: a second rollover during the overlap is refused" "$out" "rollover in progress"
  check "$s: the new root is self-signed" openssl verify -CAfile "$WORK/rv-new-root.pem" "$WORK/rv-new-root.pem"
  check "$s: the new root has the old root's subject" cmp <(openssl x509 -in "$WORK/rv-new-root.pem" -noout -subject) \
    <(openssl x509 -in "$WORK/rv-old-root.pem" -noout -subject)
  rollover_cacerts rv-cacerts-1
  expect_eq "$s: overlap: /cacerts holds the chain and OldWithNew, NewWithOld, NewWithNew" "$(grep -c 'BEGIN CERT' "$WORK/rv-cacerts-1.pem")" 5
  expect_eq "$s: overlap: python3 cryptography reads /cacerts (5 certificates, 2 self-signed roots)" \
    "$(python3 -c '
import sys; from cryptography import x509
cs = x509.load_pem_x509_certificates(open(sys.argv[1], "rb").read())
print(len(cs), sum(1 for c in cs if c.issuer == c.subject and c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest == c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier))' "$WORK/rv-cacerts-1.pem")" "5 2"
  # libest's client, when installed (not on the machine this was written on: untried there).
  if command -v estclient >/dev/null; then
    mkdir -p "$WORK/rv-estclient"
    out=$(EST_OPENSSL_CACERT=$WORK/tls-ca.pem estclient -g -s 127.0.0.1 -p "$NGINX_PORT" --path-seg roll -o "$WORK/rv-estclient" 2>&1)
    local got; got=$(cat "$WORK"/rv-estclient/cacert-*.pkcs7 2>/dev/null | base64 -d 2>/dev/null | openssl pkcs7 -inform DER -print_certs 2>/dev/null | grep -c 'BEGIN CERT')
    [ "$got" = 5 ] || printf '# estclient: %s\n' "$(printf %s "$out" | head -c 500)"
    expect_eq "$s: overlap: libest estclient -g reads /cacerts (5 certificates)" "$got" 5
  fi
  rollover_verify "$s: overlap: device A verifies dev1 (old chain)" rv-old-root.pem rv-dev1.pem rv-cacerts-1-links.pem
  rollover_verify "$s: overlap: device B verifies dev1 through OldWithNew" rv-new-root.pem rv-dev1.pem rv-cacerts-1-links.pem
  check "$s: overlap: device B cannot verify dev1 without OldWithNew (the test would see it)" \
    bash -c "! openssl verify -CAfile '$WORK/rv-new-root.pem' -untrusted '$WORK/rv-cacerts-0-links.pem' '$WORK/rv-dev1.pem'"
  rollover_enroll rv-dev2 rv-dev2 boot
  rollover_verify "$s: overlap: device B verifies a certificate enrolled now" rv-new-root.pem rv-dev2.pem rv-cacerts-1-links.pem

  # Old-key CRLs (RFC 4210 §4.4): rv-r1 (old root key) and rv-r2 (new root key), both revoked
  # after the rollover; each is found revoked on the CRL at its own distribution point, by
  # device A (old root only) and device B (new root only).
  mkcsr rv-r2 ec-P-256 "/CN=rv-r2/O=Example Devices"
  post /.well-known/est/rootp/simpleenroll "$WORK/rv-r2.csr" boot boot
  expect_eq "$s: overlap: enroll rv-r2 from the root (its new key) -> 200" "$STATUS" 200
  p7certs "$WORK/resp.body" "$WORK/rv-r2.pem"
  expect_eq "$s: overlap: rv-r2's distribution point is the new key's URL" \
    "$(openssl x509 -in "$WORK/rv-r2.pem" -noout -ext crlDistributionPoints | sed -n 's/^ *URI://p')" "$BASE/.well-known/est/crl/rroot(1)"
  $e crl --ca rroot --out "$WORK/rv-root-0.crl" >/dev/null 2>&1
  rollover_cdp_verify "$s: overlap: device A: rv-r1 (old key) verifies with the CRL at its distribution point" \
    rv-r1.pem rv-old-root.pem rv-cacerts-1-links.pem ": OK"
  for c in rv-r1 rv-r2; do $e cert revoke "$(openssl x509 -in "$WORK/$c.pem" -noout -serial | cut -d= -f2)" >/dev/null; done
  out=$($e crl --ca rroot --out "$WORK/rv-root-1.crl" 2>&1)
  expect_contains "$s: overlap: crl records the old key's CRL too" "$out" "1 CRL(s) of earlier keys of CA 'rroot' recorded"
  rollover_cdp_verify "$s: overlap: device A: rv-r1 (old key) revoked, CRL from its own distribution point" \
    rv-r1.pem rv-old-root.pem rv-cacerts-1-links.pem "certificate revoked"
  rollover_cdp_verify "$s: overlap: device B: rv-r1 (old key) revoked, through OldWithNew" \
    rv-r1.pem rv-new-root.pem rv-cacerts-1-links.pem "certificate revoked"
  rollover_cdp_verify "$s: overlap: device B: rv-r2 (new key) revoked, CRL from its own distribution point" \
    rv-r2.pem rv-new-root.pem rv-cacerts-1-links.pem "certificate revoked"
  rollover_cdp_verify "$s: overlap: device A: rv-r2 (new key) revoked, through NewWithOld" \
    rv-r2.pem rv-old-root.pem rv-cacerts-1-links.pem "certificate revoked"
  out=$($e ca list)
  expect_contains "$s: ca list: rroot's generations (key 1 current, key 0 previous with its links)" "$out" "  previous  key 0 (encrypted)"
  expect_contains "$s: ca list: ... the rollover in progress" "$out" "rollover in progress"
  doctor_run
  expect_contains "$s: doctor: the overlap with the command that ends it" "$DOCTOR_OUT" "estfcgi ca rollover --name rroot --finish"
  expect_contains "$s: doctor: the earlier software key decrypts" "$DOCTOR_OUT" "OK    ca rroot key 0  earlier key decrypts"
  expect_contains "$s: doctor: a label CRL URL carried by the old key's certificates is a FAIL" "$DOCTOR_OUT" \
    "FAIL  crl url $BASE/.well-known/est/rlabel/crl  serves the CRL of CA 'rroot' key 1, but valid certificates of another key of that CA carry it (1 signed by its key 0)"
  check "$s: doctor: ... and not for the {ca} URLs, each its key's" bash -c "! grep -q 'FAIL  crl url .*/crl/rroot' <<<\"\$1\"" _ "$DOCTOR_OUT"
  # Leave the store healthy for the suites after this one (policy's doctor counts CRL-URL FAILs).
  $e cert revoke "$(openssl x509 -in "$WORK/rv-l1.pem" -noout -serial | cut -d= -f2)" >/dev/null
  $e profile delete --profile rlabel >/dev/null
  doctor_run
  check "$s: doctor: ... no longer once that certificate is revoked" bash -c "! grep -q 'FAIL  crl url' <<<\"\$1\"" _ "$DOCTOR_OUT"
  sqlite3 "$ESTFCGI_DB" ".backup '$WORK/rv-gen-bad.db'"; chmod 600 "$WORK/rv-gen-bad.db"
  sqlite3 "$WORK/rv-gen-bad.db" "UPDATE ca_generations SET encrypted_key = (SELECT encrypted_key FROM cas WHERE name = 'rsub')
    WHERE ca_id = (SELECT id FROM cas WHERE name = 'rroot')"
  DOCTOR_OUT=$(ESTFCGI_DB=$WORK/rv-gen-bad.db "$e" doctor 2>&1)
  expect_contains "$s: doctor: an earlier key that is not its certificate's is a FAIL" "$DOCTOR_OUT" \
    "FAIL  ca rroot key 0  earlier key decrypts but is not the key of its certificate"
  # Static files (the shipped timer's --out-dir): each key's CRL under the name {ca}.crl takes.
  mkdir -p "$WORK/rv-crl-dir"
  $e crl --ca rroot --out-dir "$WORK/rv-crl-dir" >/dev/null 2>&1
  check "$s: crl --out-dir: rroot.crl is the old key's (verifies with the old root)" \
    bash -c "openssl crl -inform DER -in '$WORK/rv-crl-dir/rroot.crl' -noout -verify -CAfile '$WORK/rv-old-root.pem' 2>&1 | grep -q 'verify OK'"
  check "$s: crl --out-dir: rroot(1).crl is the new key's (verifies with the new root)" \
    bash -c "openssl crl -inform DER -in '$WORK/rv-crl-dir/rroot(1).crl' -noout -verify -CAfile '$WORK/rv-new-root.pem' 2>&1 | grep -q 'verify OK'"
  # A link planted at an earlier key's file name is refused before anything is written.
  mkdir -p "$WORK/rv-crl-planted"; echo secret > "$WORK/rv-victim"; chmod 600 "$WORK/rv-victim"
  ln -s "$WORK/rv-victim" "$WORK/rv-crl-planted/rroot.crl"
  out=$($e crl --ca rroot --out-dir "$WORK/rv-crl-planted" 2>&1); rc=$?
  expect_contains "$s: crl --out-dir with a link planted at rroot.crl -> refused, naming --out-dir" "$rc $out" \
    "1 estfcgi: error: --out-dir $WORK/rv-crl-planted/rroot.crl exists and is not a regular file"
  expect_eq "$s: ... the file it points at is unchanged" "$(cat "$WORK/rv-victim")" secret
  est GET '/.well-known/est/crl/rroot(2)'
  expect_eq "$s: /crl/CA(N) of a key the CA never had -> 404" "$STATUS" 404
  est GET '/.well-known/est/crl/rroot(01)'
  expect_eq "$s: /crl/CA(N) with a leading zero -> 404" "$STATUS" 404

  # --- ca renew: the issuing CA under the new root, same key -----------------------------
  $e ca renew --name rsub > "$WORK/rv-sub-1.pem"
  check "$s: renew: the issuing CA is now signed by the new root" \
    openssl verify -CAfile "$WORK/rv-new-root.pem" "$WORK/rv-sub-1.pem"
  rollover_cacerts rv-cacerts-2
  expect_eq "$s: renew: /cacerts holds the new chain and the three update certificates" "$(grep -c 'BEGIN CERT' "$WORK/rv-cacerts-2.pem")" 4
  rollover_enroll rv-dev1-1 rv-dev1 rv-dev1 re
  rollover_verify "$s: renew: device A verifies dev1's renewal through NewWithOld" rv-old-root.pem rv-dev1-1.pem rv-cacerts-2-links.pem
  rollover_verify "$s: renew: device B verifies dev1's renewal" rv-new-root.pem rv-dev1-1.pem rv-cacerts-2-links.pem
  cat "$WORK/rv-cacerts-1-links.pem" "$WORK/rv-cacerts-2-links.pem" > "$WORK/rv-all-links.pem"
  rollover_verify "$s: renew: certificates issued before keep verifying (A)" rv-old-root.pem rv-dev2.pem rv-cacerts-1-links.pem
  rollover_verify "$s: renew: certificates issued before keep verifying (B)" rv-new-root.pem rv-dev2.pem rv-cacerts-1-links.pem

  # CRLs: the issuing CA's key did not change, so its CRL covers old and new leaves; the
  # root's earlier key signs a CRL of what it certified (RFC 4210 §4.4), found by its AKI.
  $e cert revoke "$(openssl x509 -in "$WORK/rv-dev2.pem" -noout -serial | cut -d= -f2)" --reason keyCompromise >/dev/null
  $e crl --ca rsub --pem --out "$WORK/rv-sub.crl" >/dev/null
  $e crl --ca rroot --pem --out "$WORK/rv-root.crl" --previous-key-out "$WORK/rv-root-old.crl" >/dev/null 2>&1
  check "$s: the old root key's CRL verifies with the old root" openssl crl -in "$WORK/rv-root-old.crl" -CAfile "$WORK/rv-old-root.pem" -noout
  expect_eq "$s: ... and names the old key (authorityKeyIdentifier = the old root's SKI)" "$(python3 -c '
import sys; from cryptography import x509
crl = x509.load_pem_x509_crl(open(sys.argv[1], "rb").read()); root = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
print(crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier ==
      root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest)' "$WORK/rv-root-old.crl" "$WORK/rv-old-root.pem")" True
  check "$s: device A: dev1 (old chain) verifies with every CRL checked" openssl verify -crl_check_all -CAfile "$WORK/rv-old-root.pem" \
    -untrusted "$WORK/rv-cacerts-0-links.pem" -CRLfile "$WORK/rv-sub.crl" -CRLfile "$WORK/rv-root-old.crl" "$WORK/rv-dev1.pem"
  check "$s: device A: the new key's root CRL does not do for the old chain" bash -c "! openssl verify -crl_check_all \
    -CAfile '$WORK/rv-old-root.pem' -untrusted '$WORK/rv-cacerts-0-links.pem' -CRLfile '$WORK/rv-sub.crl' -CRLfile '$WORK/rv-root.crl' '$WORK/rv-dev1.pem'"
  out=$(openssl verify -crl_check -CAfile "$WORK/rv-new-root.pem" -untrusted "$WORK/rv-cacerts-1-links.pem" -CRLfile "$WORK/rv-sub.crl" "$WORK/rv-dev2.pem" 2>&1)
  expect_contains "$s: device B: revoked dev2 is revoked by the issuing CA's CRL" "$out" "certificate revoked"

  # --- finish: the old root leaves /cacerts ------------------------------------------------
  out=$($e ca rollover --name rroot --finish --days 3 2>&1); expect_contains "$s: --finish with --days is refused" "$out" "--finish takes no"
  $e ca rollover --name rroot --finish >/dev/null
  out=$($e ca rollover --name rroot --finish 2>&1); expect_contains "$s: a second --finish is refused" "$out" "no rollover in progress"
  $e crl --ca rroot --out "$WORK/rv-root-2.crl" >/dev/null 2>&1
  rollover_cdp_verify "$s: finished: device B: rv-r1 (old key) still revoked on its key's CRL" \
    rv-r1.pem rv-new-root.pem rv-cacerts-1-links.pem "certificate revoked"
  rollover_cdp_verify "$s: finished: device A: rv-r1 (old key) still revoked on its key's CRL" \
    rv-r1.pem rv-old-root.pem rv-cacerts-1-links.pem "certificate revoked"
  rollover_cdp_verify "$s: finished: device B: rv-r2 (new key) revoked" rv-r2.pem rv-new-root.pem rv-cacerts-1-links.pem "certificate revoked"
  check "$s: finished: ca list no longer shows a rollover in progress" bash -c "! '$e' ca list | grep -q 'rollover in progress'"
  rollover_cacerts rv-cacerts-3
  expect_eq "$s: finished: /cacerts holds the new chain only" "$(grep -c 'BEGIN CERT' "$WORK/rv-cacerts-3.pem")" 2
  check "$s: finished: no certificate of /cacerts is the old root" bash -c "! grep -qxFf <(sed -n '2p' '$WORK/rv-old-root.pem') '$WORK/rv-cacerts-3.pem'"
  rollover_verify "$s: finished: device B verifies dev1's renewal with /cacerts" rv-new-root.pem rv-dev1-1.pem rv-cacerts-3-links.pem
  rollover_verify "$s: finished: device A verifies it with the NewWithOld it kept" rv-old-root.pem rv-dev1-1.pem rv-all-links.pem
  # An old-chain device re-enrolls after the end and gets a new-chain certificate.
  rollover_enroll rv-dev4-1 rv-dev4 rv-dev4 re
  rollover_verify "$s: finished: dev4 (enrolled before the rollover) re-enrolls into the new chain (B)" rv-new-root.pem rv-dev4-1.pem rv-cacerts-3-links.pem
  check "$s: finished: ... which device A no longer verifies without NewWithOld" \
    bash -c "! openssl verify -CAfile '$WORK/rv-old-root.pem' -untrusted '$WORK/rv-cacerts-3-links.pem' '$WORK/rv-dev4-1.pem'"
  rollover_enroll rv-dev3 rv-dev3 boot
  rollover_verify "$s: finished: a new enrollment verifies with the new root and /cacerts" rv-new-root.pem rv-dev3.pem rv-cacerts-3-links.pem
  rollover_enroll rv-dev1-2 rv-dev1 rv-dev1-1 re
  rollover_verify "$s: finished: re-enrollment verifies with the new root" rv-new-root.pem rv-dev1-2.pem rv-cacerts-3-links.pem
  # The new key signs; the old one signed nothing more than the CRL.
  check "$s: finished: the issuing CA's renewed certificate is signed by the new key" openssl verify -CAfile "$WORK/rv-new-root.pem" "$WORK/rv-sub-1.pem"

  # --- ca renew --new-key: old leaves need the old issuing key's CRL ------------------------
  $e ca renew --name rsub --new-key > "$WORK/rv-sub-2.pem"
  check "$s: renew --new-key: a new key" bash -c "! cmp -s <(openssl x509 -in '$WORK/rv-sub-1.pem' -noout -pubkey) <(openssl x509 -in '$WORK/rv-sub-2.pem' -noout -pubkey)"
  rollover_cacerts rv-cacerts-4
  rollover_enroll rv-dev1-3 rv-dev1 rv-dev1-2 re
  rollover_verify "$s: renew --new-key: renewal verifies (B)" rv-new-root.pem rv-dev1-3.pem rv-cacerts-4-links.pem
  $e crl --ca rsub --pem --out "$WORK/rv-sub-new.crl" --previous-key-out "$WORK/rv-sub-old.crl" >/dev/null 2>&1
  out=$(openssl verify -crl_check -CAfile "$WORK/rv-new-root.pem" -untrusted "$WORK/rv-cacerts-2-links.pem" -CRLfile "$WORK/rv-sub-old.crl" "$WORK/rv-dev2.pem" 2>&1)
  expect_contains "$s: renew --new-key: dev2 (old key) is revoked on the old key's CRL" "$out" "certificate revoked"
  check "$s: renew --new-key: dev1-2 (old key, valid) verifies with the old key's CRL" openssl verify -crl_check -CAfile "$WORK/rv-new-root.pem" \
    -untrusted "$WORK/rv-cacerts-2-links.pem" -CRLfile "$WORK/rv-sub-old.crl" "$WORK/rv-dev1-2.pem"
  # The same through each certificate's own distribution point: /crl/rsub (first key), /crl/rsub(1).
  expect_eq "$s: renew --new-key: dev1-3's distribution point is the new key's URL" \
    "$(openssl x509 -in "$WORK/rv-dev1-3.pem" -noout -ext crlDistributionPoints | sed -n 's/^ *URI://p')" "$BASE/.well-known/est/crl/rsub(1)"
  rollover_cdp_verify "$s: renew --new-key: dev2 (old issuing key) revoked, CRL from its own distribution point" \
    rv-dev2.pem rv-new-root.pem rv-cacerts-2-links.pem "certificate revoked"
  rollover_cdp_verify "$s: renew --new-key: dev1-2 (old issuing key) good on it" rv-dev1-2.pem rv-new-root.pem rv-cacerts-2-links.pem ": OK"
  rollover_cdp_verify "$s: renew --new-key: dev1-3 (new issuing key) good on its key's CRL" rv-dev1-3.pem rv-new-root.pem rv-cacerts-4-links.pem ": OK"
  $e cert revoke "$(openssl x509 -in "$WORK/rv-dev1-3.pem" -noout -serial | cut -d= -f2)" >/dev/null
  $e crl --ca rsub --out "$WORK/rv-sub-3.crl" >/dev/null 2>&1
  rollover_cdp_verify "$s: renew --new-key: dev1-3 (new issuing key) revoked, CRL from its own distribution point" \
    rv-dev1-3.pem rv-new-root.pem rv-cacerts-4-links.pem "certificate revoked"

  out=$($e audit --limit 200)
  expect_contains "$s: audit: ca-rollover" "$out" "ca-rollover"
  expect_contains "$s: audit: ca-renew" "$out" "ca-renew"
  expect_contains "$s: audit: ca-rollover-finish" "$out" "ca-rollover-finish"
  nginx_stop
}

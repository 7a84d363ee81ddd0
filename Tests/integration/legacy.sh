# A store made by the release before the code-shape change (schema version 2, see
# Tests/Fixtures/store-v2/README.md): the new binary migrates a copy and prints what the
# old one printed (sourced).
suite_legacy() {
  local fx=$HERE/../Fixtures/store-v2 d=$WORK/legacy e=$ESTFCGI out rc
  mkdir -p "$d"
  cp "$fx/ca.db" "$d/ca.db"
  install -m 600 "$fx/passphrase" "$d/passphrase"  # git keeps 0644, which estfcgi refuses
  local ESTFCGI_DB=$d/ca.db ESTFCGI_KEY_PASSPHRASE_FILE=$d/passphrase
  export ESTFCGI_DB ESTFCGI_KEY_PASSPHRASE_FILE

  chmod 644 "$d/ca.db"
  out=$("$e" ca list 2>&1); rc=$?
  expect_contains "legacy: a store open to others is refused" "$rc $out" "1 estfcgi: error: store file $d/ca.db is open to others (mode 644)"
  out=$("$e" init); rc=$?
  expect_contains "legacy: init migrates the v2 store and re-encrypts its CA keys" "$rc $out" "CA 'vendor': key re-encrypted (pbkdf2-sha256-600000)"
  expect_eq "legacy: init made the store 0600" "$(stat -c %a "$d/ca.db")" 600
  expect_eq "legacy: every CA key is now pbkdf2-sha256-600000" \
    "$(sqlite3 "$d/ca.db" "SELECT count(*) FROM cas WHERE encrypted_key IS NOT NULL AND key_protection IS NOT 'pbkdf2-sha256-600000'")" 0
  # The latest this binary knows (doctor says it): each round's migrations add to it.
  expect_eq "legacy: schema version is the latest" "schema version $(sqlite3 "$d/ca.db" 'SELECT max(version) FROM schema_version')" \
    "$("$e" doctor 2>&1 | sed -n 's/^OK    store  \(schema version [0-9]*\)$/\1/p')"
  expect_eq "legacy: integrity" "$(sqlite3 "$d/ca.db" 'PRAGMA integrity_check')" ok
  expect_eq "legacy: foreign keys hold" "$(sqlite3 "$d/ca.db" 'PRAGMA foreign_key_check' | wc -l)" 0

  # JSON is compared parsed (the printer's spacing is not the contract): every field the
  # old release printed is there with the same value; fields added since are allowed.
  # Text is compared byte for byte.
  same_json() {
    python3 - "$1" "$2" <<'PY'
import json, sys
def covers(new, old):
    if isinstance(old, dict):
        return isinstance(new, dict) and all(k in new and covers(new[k], v) for k, v in old.items())
    if isinstance(old, list):
        return isinstance(new, list) and len(new) == len(old) and all(covers(n, o) for n, o in zip(new, old))
    return new == old
sys.exit(0 if covers(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))) else 1)
PY
  }
  local what
  for what in "ca list" "profile list" "cert list"; do
    "$e" $what --json > "$d/out.json"
    check "legacy: $what --json as before" same_json "$d/out.json" "$fx/expected/${what// /-}.json"
    "$e" $what > "$d/out.txt"
    check "legacy: $what as before" cmp -s "$d/out.txt" "$fx/expected/${what// /-}.txt"
  done
  local f serial name n=0 bad=0
  for f in "$fx"/expected/cert-show-*.json; do
    serial=${f##*/cert-show-}; serial=${serial%.json}
    "$e" cert show "$serial" --json > "$d/show.json"; n=$((n + 1))
    same_json "$d/show.json" "$f" || bad=$((bad + 1))
  done
  expect_eq "legacy: cert show --json as before for all $n certificates" "$bad" 0
  for f in "$fx"/expected/profile-show-*.json; do
    name=${f##*/profile-show-}; name=${name%.json}
    if [ "$name" = default ]; then "$e" profile show --default --json > "$d/p.json"; else "$e" profile show --profile "$name" --json > "$d/p.json"; fi
    check "legacy: profile show $name as before" same_json "$d/p.json" "$f"
  done
  for f in "$fx"/expected/ca-export-*.pem; do
    name=${f##*/ca-export-}; name=${name%.pem}
    "$e" ca export --name "$name" > "$d/export.pem"
    check "legacy: ca export $name as before" cmp -s "$d/export.pem" "$f"
  done
  for f in "$fx"/expected/cert-list-*.txt; do
    name=${f##*/cert-list-}; name=${name%.txt}
    case $name in
      valid|revoked|expired) "$e" cert list --status "$name" > "$d/l.txt" ;;
      default) "$e" cert list --default > "$d/l.txt" ;;
      profile-*) "$e" cert list --profile "${name#profile-}" > "$d/l.txt" ;;
    esac
    check "legacy: cert list $name as before" cmp -s "$d/l.txt" "$f"
  done
  # The old records first; the key re-encryption above added its own after them.
  "$e" audit --json --limit 100000 | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[:50]))' > "$d/audit.json"
  check "legacy: audit --json as before" same_json "$d/audit.json" "$fx/expected/audit.json"
  "$e" audit --limit 100000 | head -n 50 > "$d/audit.txt"
  check "legacy: audit as before" cmp -s "$d/audit.txt" "$fx/expected/audit.txt"

  # Behaviour: the old CA keys still sign, a revoked certificate stays revoked, a profile
  # still enforces what it enforced.
  "$e" cert issue --profile iot --csr "$fx/csr/iot-ok.csr" > "$d/iot.pem"
  check "legacy: iot issues a CSR meeting its csrattrs with the old CA key" \
    openssl verify -CAfile "$fx/expected/ca-export-root.pem" -untrusted "$fx/expected/ca-export-issuing.pem" "$d/iot.pem"
  out=$("$e" cert issue --profile iot --csr "$fx/csr/sensor-01.csr" 2>&1); rc=$?
  expect_contains "legacy: iot still enforces its csrattrs" "$rc $out" "1 estfcgi: error: CSR"
  out=$("$e" cert revoke 7bff6df27db746891a106b64123ae2e7 2>&1); rc=$?
  expect_contains "legacy: a revoked certificate stays revoked" "$rc $out" "already revoked"
  check "legacy: profile update works on migrated rows" "$e" profile update --profile iot --trust factory
  expect_eq "legacy: ... and trust is now one row" "$(sqlite3 "$d/ca.db" "SELECT count(*) FROM profile_trust t JOIN profiles p ON p.id = t.profile_id WHERE p.label = 'iot'")" 1
}

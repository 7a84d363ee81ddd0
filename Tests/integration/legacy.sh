# A store made by the release before the code-shape change (schema version 2, see
# Tests/Fixtures/store-v2/README.md): the new binary migrates a copy and prints what the
# old one printed (sourced).
suite_legacy() {
  local fx=$HERE/../Fixtures/store-v2 d=$WORK/legacy e=$ESTFCGI
  mkdir -p "$d"
  cp "$fx/ca.db" "$d/ca.db"
  local ESTFCGI_DB=$d/ca.db ESTFCGI_KEY_PASSPHRASE_FILE=$fx/passphrase
  export ESTFCGI_DB ESTFCGI_KEY_PASSPHRASE_FILE

  check "legacy: init migrates the v2 store" "$e" init
  expect_eq "legacy: schema version 3" "$(sqlite3 "$d/ca.db" 'SELECT max(version) FROM schema_version')" 3
  expect_eq "legacy: integrity" "$(sqlite3 "$d/ca.db" 'PRAGMA integrity_check')" ok
  expect_eq "legacy: foreign keys hold" "$(sqlite3 "$d/ca.db" 'PRAGMA foreign_key_check' | wc -l)" 0

  # JSON is compared parsed (the printer's spacing is not the contract); text byte for byte.
  same_json() { python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2"; }
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
  "$e" audit --json --limit 100000 > "$d/audit.json"
  check "legacy: audit --json as before" same_json "$d/audit.json" "$fx/expected/audit.json"
  "$e" audit --limit 100000 > "$d/audit.txt"
  check "legacy: audit as before" cmp -s "$d/audit.txt" "$fx/expected/audit.txt"

  # Behaviour: the old CA keys still sign, a revoked certificate stays revoked, a profile
  # still enforces what it enforced.
  "$e" cert issue --profile iot --csr "$fx/csr/iot-ok.csr" > "$d/iot.pem"
  check "legacy: iot issues a CSR meeting its csrattrs with the old CA key" \
    openssl verify -CAfile "$fx/expected/ca-export-root.pem" -untrusted "$fx/expected/ca-export-issuing.pem" "$d/iot.pem"
  local out rc
  out=$("$e" cert issue --profile iot --csr "$fx/csr/sensor-01.csr" 2>&1); rc=$?
  expect_contains "legacy: iot still enforces its csrattrs" "$rc $out" "1 estfcgi: error: CSR"
  out=$("$e" cert revoke 7bff6df27db746891a106b64123ae2e7 2>&1); rc=$?
  expect_contains "legacy: a revoked certificate stays revoked" "$rc $out" "already revoked"
  check "legacy: profile update works on migrated rows" "$e" profile update --profile iot --trust factory
  expect_eq "legacy: ... and trust is now one row" "$(sqlite3 "$d/ca.db" "SELECT count(*) FROM profile_trust t JOIN profiles p ON p.id = t.profile_id WHERE p.label = 'iot'")" 1
}

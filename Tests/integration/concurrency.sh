# Concurrency and crash safety (sourced): many clients at once through nginx onto several
# responder processes sharing one listen socket and one store, the CLI revoking meanwhile,
# the re-enrollment race, a short soak with SIGKILLed workers (scripts/soak), a damaged
# store refused at start, and SIGTERM draining a request in flight.
# The work is done by soak.py; each invariant it reports becomes one ok/not_ok line here.

# report_results PREFIX FILE: one ok/not_ok per "name<TAB>PASS|FAIL<TAB>detail" line.
report_results() {
  local prefix=$1 file=$2 name verdict detail
  while IFS=$'\t' read -r name verdict detail; do
    if [ "$verdict" = PASS ]; then ok "$prefix: $name ($detail)"; else not_ok "$prefix: $name ($detail)"; fi
  done < "$file"
}

# run_driver PREFIX RESULTS LOG COMMAND...: runs it (its table goes to LOG), reports.
run_driver() {
  local prefix=$1 results=$2 log=$3 rc=0; shift 3
  "$@" > "$log" 2>&1 || rc=$?
  if [ -s "$results" ]; then
    grep '^# ' "$log"
    report_results "$prefix" "$results"
  else
    sed 's/^/# /' "$log"
    not_ok "$prefix: driver produced no results (exit $rc; see above)"
  fi
  return 0
}

suite_concurrency() {
  SUITE=concurrency
  local d=$WORK/concurrency py=/usr/bin/python3
  mkdir -p "$d"

  # 2 processes x 2 workers on one socket (fd 0, as spawn-fcgi), 8 clients x 200 requests
  # (enroll, then re-enroll 1-3 times, on iot and on the default profile) while the CLI
  # revokes certificates they hold; then 20 rounds of the re-enrollment race, and 20 of a
  # re-enrollment racing a CLI revocation of its certificate.
  run_driver concurrency "$d/load.tsv" "$d/load.out" \
    "$py" "$HERE/soak.py" run --work "$WORK" --estfcgi "$ESTFCGI" --results "$d/load.tsv" \
      --processes 2 --workers 2 --clients 8 --operations 200 --revoke-every 0.1 --think 0.1 --race-rounds 20 --revoke-race-rounds 20

  # scripts/soak at a small size: a store of its own, a worker SIGKILLed every ~1.5 s.
  # (The races are left to the run above.)
  run_driver soak "$d/soak.tsv" "$d/soak.out" \
    env ESTFCGI="$ESTFCGI" "$HERE/../../scripts/soak" --processes 2 --workers 2 --clients 4 --operations 0 \
      --seconds 6 --kill-every 1.5 --race-rounds 0 --revoke-race-rounds 0 --results "$d/soak.tsv"

  concurrency_damaged_store
  concurrency_drain
}

# A damaged store: serve must refuse it at start (PRAGMA quick_check), saying why.
concurrency_damaged_store() {
  local d=$WORK/concurrency db=$WORK/concurrency/damaged.db out rc page psize
  rm -f "$db" "$db-wal" "$db-shm"
  sqlite3 "$ESTFCGI_DB" ".backup '$db'"
  sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  chmod 600 "$db"
  psize=$(sqlite3 "$db" 'PRAGMA page_size')
  # A leaf page of the certificates table from the middle of the file (not read at start):
  # overwrite its cell pointer array, which quick_check verifies (cell contents it does not).
  page=$(sqlite3 "$db" "SELECT pageno FROM dbstat WHERE name = 'certificates' AND pagetype = 'leaf'
                         ORDER BY pageno LIMIT 1 OFFSET (SELECT count(*) / 2 FROM dbstat WHERE name = 'certificates' AND pagetype = 'leaf')" 2>/dev/null)
  [ -n "$page" ] || page=$(sqlite3 "$db" "SELECT rootpage FROM sqlite_master WHERE name = 'certificates'")
  printf '\245%.0s' $(seq 64) | dd of="$db" bs=1 seek=$(( (page - 1) * psize + 8 )) conv=notrunc status=none
  out=$(sqlite3 "$db" 'PRAGMA quick_check' 2>&1 | head -2 | tr '\n' ' ')
  if [ "$out" = "ok " ]; then not_ok "concurrency: the copy of the store could be damaged (quick_check still ok)"; return; fi
  ok "concurrency: a damaged copy of the store (page $page; quick_check: $(printf %s "$out" | head -c 80))"

  # Refused: it exits non-zero. Served: its socket appears (serve checks the store before
  # it opens the socket). 10 s at most either way.
  local sock=$d/damaged.sock pid i
  rm -f "$sock"
  ESTFCGI_DB=$db "$ESTFCGI" serve --socket "$sock" --workers 1 > "$d/damaged.log" 2>&1 &
  pid=$!
  for i in $(seq 100); do { kill -0 "$pid" 2>/dev/null && [ ! -S "$sock" ]; } || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    local what="it serves it"; [ -S "$sock" ] || what="neither refused nor serving after 10 s"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
    not_ok "concurrency: serve refuses a damaged store ($what: $(tr '\n' ' ' < "$d/damaged.log" | head -c 200))"
    return
  fi
  rc=0; wait "$pid" || rc=$?
  out=$(cat "$d/damaged.log")
  if [ "$rc" -ne 0 ]; then ok "concurrency: serve refuses a damaged store (exit $rc)"
  else not_ok "concurrency: serve refuses a damaged store (exit 0)"; fi
  if printf %s "$out" | grep -Eqi 'quick_check|integrity|damaged|corrupt'; then
    ok "concurrency: ... with a message naming the check ($(printf %s "$out" | tr '\n' ' ' | head -c 200))"
  else
    not_ok "concurrency: ... with a message naming the check (got: $(printf %s "$out" | tr '\n' ' ' | head -c 200))"
  fi
}

# SIGTERM while a request body is still arriving: it is answered, recorded, audited; exit 0.
concurrency_drain() {
  local d=$WORK/concurrency
  run_driver concurrency "$d/drain.tsv" "$d/drain.out" \
    /usr/bin/python3 "$HERE/soak.py" drain --work "$WORK" --estfcgi "$ESTFCGI" --results "$d/drain.tsv"
}

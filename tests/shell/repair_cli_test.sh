#!/usr/bin/env bash
# hvdb check, hvdb salvage, read-only opens and .resume through the binary
# (docs/reliability.md): exit statuses, what they print, and that a damaged
# log is reported, salvaged and named, never served.
set -euo pipefail
hvdb="$1"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
server=""
fail() { echo "FAIL: $*" >&2; exit 1; }

# 200 acknowledged puts, left in the write-ahead log.
{ echo "create collection c dim 1024;"; for i in $(seq 0 199); do echo "put c k$i random($i);"; done; } \
  | "$hvdb" shell "$work/db" > /dev/null
out=$("$hvdb" check "$work/db") || fail "check of a healthy database: $out"
echo "$out" | grep -q "^collections: 1, 200 rows read back and compared$" || fail "check: $out"
[ "$(echo "$out" | tail -1)" = ok ] || fail "check: $out"
"$hvdb" check "$work/db" --json | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
assert r["ok"] and r["problems"] == [] and r["rows"] == 200 and r["collections"] == 1, r'
out=$("$hvdb" salvage "$work/db") || fail "salvage of a healthy database: $out"
[ "$out" = "nothing to salvage: the database opens as it is" ] || fail "salvage: $out"

# One flipped bit in the middle of the log.
log=$(ls "$work"/db/*.log)
python3 - "$log" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0x08
open(sys.argv[1], "wb").write(data)
PY
cp "$log" "$work/damaged.log"
set +e; out=$("$hvdb" info "$work/db" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "info on a damaged log: exit $rc"
echo "$out" | grep -q "Corruption: .*the write-ahead log '.*$(basename "$log")' is damaged at byte" || fail "info: $out"
echo "$out" | grep -q "hvdb salvage" || fail "info does not point to salvage: $out"
set +e; out=$("$hvdb" shell "$work/db" -c 'count c' 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && echo "$out" | grep -q "is damaged at byte" || fail "shell on a damaged log: exit $rc: $out"
cmp -s "$log" "$work/damaged.log" || fail "a failed open changed the log"
set +e; out=$("$hvdb" check "$work/db"); rc=$?; set -e
[ "$rc" = 1 ] && echo "$out" | grep -q "^problem: Corruption: .*write-ahead log" || fail "check: exit $rc: $out"

out=$("$hvdb" salvage "$work/db") || fail "salvage: $out"
echo "$out" | grep -q "^the write-ahead log '.*' is damaged at byte [0-9]*" || fail "salvage: $out"
copy=$(echo "$out" | sed -n "s/^every log was copied to '\(.*\)' first$/\1/p")
cmp -s "$copy/$(basename "$log")" "$work/damaged.log" || fail "the damaged log was not kept: $out"
echo "$out" | grep -q "^  collection 'c': [0-9]* rows written ('k" || fail "salvage names no dropped rows: $out"
kept=$("$hvdb" shell "$work/db" -c 'count c')
[ "$kept" -gt 0 ] && [ "$kept" -lt 200 ] || fail "after salvage: $kept rows"
# What is left is every put before the damage, exactly.
for i in $(seq 0 $((kept - 1))); do echo "get c k$i"; done > "$work/gets.hvdb"
"$hvdb" shell "$work/db" < "$work/gets.hvdb" | grep -c "^k[0-9]" | grep -qx "$kept" || fail "rows after salvage"
"$hvdb" check "$work/db" > /dev/null || fail "check after salvage"

# .resume with nothing to resume is fine; a read-only command changes nothing.
"$hvdb" shell "$work/db" -c '.resume' || fail ".resume"
before=$(ls -l --time-style=+%s.%N "$work/db" | md5sum)
"$hvdb" info "$work/db" > /dev/null
"$hvdb" export "$work/db" c "$work/c.hvdb" > /dev/null
after=$(ls -l --time-style=+%s.%N "$work/db" | md5sum)
[ "$before" = "$after" ] || fail "a read-only command changed the database directory"
# Read-only commands beside a process that holds the database open.
"$hvdb" serve "$work/db" --listen 127.0.0.1:0 > "$work/serve.out" &
server=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" && break; sleep 0.05; done
"$hvdb" info "$work/db" | grep -q "c: dim 1024, [0-9]* vectors" || fail "info beside a server"
"$hvdb" check "$work/db" > /dev/null || fail "check beside a server"
kill "$server"; wait "$server" 2>/dev/null || true; server=""
set +e; "$hvdb" check "$work/none" > /dev/null 2>&1; rc=$?; set -e
[ "$rc" = 1 ] || fail "check of nothing: exit $rc"
echo "repair cli: ok"

#!/usr/bin/env bash
# Scripted shell sessions: each scripts/NAME.hvdb runs on a fresh database
# with stdin not a terminal (script mode); stdout and stderr together must
# equal scripts/NAME.expected, and the exit status scripts/NAME.rc (default 0).
set -uo pipefail
hvdb="$1"
dir="$(cd "$(dirname "$0")" && pwd)/scripts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for script in "$dir"/*.hvdb; do
  name=$(basename "$script" .hvdb)
  "$hvdb" shell "$work/$name.db" < "$script" > "$work/$name.out" 2>&1
  rc=$?
  want_rc=0
  [ -f "$dir/$name.rc" ] && want_rc=$(cat "$dir/$name.rc")
  if ! diff -u "$dir/$name.expected" "$work/$name.out"; then
    echo "FAIL: $name: output differs" >&2; failed=1
  fi
  if [ "$rc" != "$want_rc" ]; then
    echo "FAIL: $name: exit status $rc, expected $want_rc" >&2; failed=1
  fi
done
# -c runs the same language; .quit ends a script early.
out=$("$hvdb" shell "$work/c.db" -c 'create collection x dim 64; put x k random(1); count x')
[ "$out" = "1" ] || { echo "FAIL: -c gave: $out" >&2; failed=1; }
# Several -c run in order, as lines of one script: errors name their line,
# and a failed statement makes the exit status 1 (as sqlite3), stdin too.
out=$("$hvdb" shell -c 'create collection z dim 64' -c 'count z' -c 'cuont z' -c 'count z' "$work/c.db" 2>"$work/err")
rc=$?
[ "$rc" = 1 ] || { echo "FAIL: -c with a failed statement exited $rc" >&2; failed=1; }
[ "$out" = "$(printf "0\n0")" ] || { echo "FAIL: several -c gave: $out" >&2; failed=1; }
[ "$(cat "$work/err")" = "Error: line 3, column 1: unknown statement 'cuont' (did you mean 'count'?)" ] ||
  { echo "FAIL: several -c, the error: $(cat "$work/err")" >&2; failed=1; }
printf 'count z\ncount nothing\n' | "$hvdb" shell "$work/c.db" >/dev/null 2>&1
rc=$?
[ "$rc" = 1 ] || { echo "FAIL: a script with a failed statement exited $rc" >&2; failed=1; }
out=$(printf 'create collection y dim 64\n.quit\ncount y\n' | "$hvdb" shell "$work/q.db")
[ -z "$out" ] || { echo "FAIL: .quit did not end the script: $out" >&2; failed=1; }
# What psql and redis-cli users type: exit, quit, \q and help.
for word in exit 'quit;' '\q'; do
  out=$(printf '%s\ncount y\n' "$word" | "$hvdb" shell "$work/q.db" 2>&1)
  [ -z "$out" ] || { echo "FAIL: $word did not end the script: $out" >&2; failed=1; }
done
out=$(printf 'help\n' | "$hvdb" shell "$work/q.db" 2>&1)
grep -q '^\.help \[WORD\]' <<<"$out" || { echo "FAIL: help printed: $out" >&2; failed=1; }
# Dot-commands whose output names files, sizes or times.
check() {  # check PATTERN OUTPUT: OUTPUT must match the extended regex
  grep -Eq -- "$1" <<<"$2" || { echo "FAIL: '$1' not in: $2" >&2; failed=1; }
}
printf 'count c\n' > "$work/inner.hvdb"
out=$(printf 'create collection c dim 64\nput c a random(1)\n.read %s\n.read %s\n' "$work/inner.hvdb" "$work/none.hvdb" \
      | "$hvdb" shell "$work/d.db" 2>&1)
check "^1$" "$out"
check "Error: line 4: cannot read '.*none.hvdb'" "$out"
out=$(printf '.export c %s\ncreate collection d dim 64\n.import %s d\ncount d\n.import %s nosuch\n' \
      "$work/c.hvdb" "$work/c.hvdb" "$work/c.hvdb" | "$hvdb" shell "$work/d.db" 2>&1)
check "^exported 1 vectors$" "$out"
check "^imported 1 vectors \(0 replaced\)$" "$out"
check "Error: line 5: no collection 'nosuch'" "$out"
out=$(printf '.describe c\n.timer on\nsearch c random(1) k 1\n.mode json\n.describe c\n' | "$hvdb" shell "$work/d.db" 2>&1)
check "^collection c: dim 64, 1 vectors, 0 deleted rows awaiting compaction, [0-9]+ bytes in memory" "$out"
check "item memory seed 7527314201035171181 \(the database's\), index flat, 0 accumulators" "$out"
check '"item_memory_seed":7527314201035171181,"item_memory":"database"' "$out"
check "^time: [0-9.]+ ms, rows scanned: 1, device: cpu, kernel: (scalar|avx2|avx512|amx), index: flat, plan: flat index; no search device$" "$out"
check '^\{"name":"c","dim":64,"count":1,' "$out"
# explain search: the plan, without running the search (the kernel is the machine's).
out=$(printf '%s\n' 'create collection e dim 256 index prefix bits 64 candidates 2' \
      'put e a sym("a")' 'put e b sym("b")' 'put e c sym("c")' 'put e d sym("d")' \
      'explain search e sym("a") k 1' 'explain search e sym("a") k 2' 'explain search e sym("a") k 1 exact' \
      'explain search e sym("a") k 0' 'explain search e sym("a") radius 3' 'explain search e sym("a") device gpu' \
      'explain put e a sym("a")' 'explain search nope sym("a")' '.mode json' 'explain search e sym("a") k 1' \
      | "$hvdb" shell "$work/e.db" 2>&1)
check "^index +device +kernel +reason$" "$out"
check "^prefix +cpu +(scalar|avx2|avx512|amx) +prefix index; an index answers on the CPU unless device gpu is asked$" "$out"
check "^flat +cpu +(scalar|avx2|avx512|amx) +prefix index: 4 candidates per query cover every live row; no search device$" "$out"
check "^flat +cpu +[a-z0-9]+ +exact asked; no search device$" "$out"
check "^flat +cpu +[a-z0-9]+ +prefix index: a radius search \(k = 0\) scans every row; no search device$" "$out"
check "Error: line 9, column 29: k 0 asks for every hit within a distance" "$out"
check "Error: line 11, column 1: device gpu: no search device here" "$out"
check "Error: line 12, column 9: explain takes a search statement \(explain search NAME EXPR ...\), found 'put'" "$out"
check "Error: line 13, column 1: no collection 'nope'" "$out"
check '^\[\{"index":"prefix","device":"cpu","kernel":"[a-z0-9]+","reason":"prefix index; an index answers on the CPU unless device gpu is asked"\}\]$' "$out"
out=$(printf '.help\n.device\n' | "$hvdb" shell "$work/d.db" 2>&1)
for f in sym random hex bind unbind bundle permute level thermometer circular text ngram sequence record; do
  check "^  $f\(" "$out"
done
check "^device: auto \(" "$out"
# .demo: a real word list as trigram codes, and a query that finds its words.
if [ -r /usr/share/dict/american-english ]; then
  out=$(printf '.demo\nsearch words bundle(words["apple"], words["orange"], text("fruit")) k 3\n' \
        | "$hvdb" shell "$work/demo.db" 2>&1)
  check "^loaded [0-9]+ English words into collection 'words'" "$out"
  check "^apple +[0-9]+" "$out"
  check "^orange +[0-9]+" "$out"
  # A bundle of two words finds both first (a shared tie vector once let
  # other even-sized bundles crowd them out); .demo's let hint works as shown.
  out=$(printf 'search words bundle(words["apple"], words["pear"]) k 2\nlet typo = text("databse")\nsearch words typo k 1\nsearch words text("databse") k 1\n' \
        | "$hvdb" shell "$work/demo.db" 2>&1)
  check "^apple +[0-9]+" "$out"
  check "^pear +[0-9]+" "$out"
  hits=$(grep -v '^key' <<<"$out" | tail -2)
  [ "$(head -1 <<<"$hits")" = "$(tail -1 <<<"$hits")" ] || { echo "FAIL: let typo differs from the inline query: $out" >&2; failed=1; }
else
  echo "FAIL: /usr/share/dict/american-english missing (scripts/install-deps.sh installs wamerican)" >&2; failed=1
fi
[ $failed = 0 ] && echo "shell scripts: ok"
exit $failed

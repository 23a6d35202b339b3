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
out=$(printf 'create collection y dim 64\n.quit\ncount y\n' | "$hvdb" shell "$work/q.db")
[ -z "$out" ] || { echo "FAIL: .quit did not end the script: $out" >&2; failed=1; }
[ $failed = 0 ] && echo "shell scripts: ok"
exit $failed

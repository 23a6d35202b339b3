#!/usr/bin/env bash
# The hvdb command line: every usage error exits 2 with a message that names
# the flag or word and what was wrong, and the usage line. Numbers are strict:
# no wrapping, no trailing junk, no sign. No command here may start to work
# (a server that starts listening is ended by timeout and fails the test).
set -euo pipefail
hvdb="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

expect_usage() {  # expect_usage MESSAGE ARGS...: exit 2, MESSAGE (fixed text) and a usage line on stderr
  local message="$1"; shift
  set +e; timeout 20 "$hvdb" "$@" >"$work/out" 2>"$work/err" </dev/null; local rc=$?; set -e
  [ "$rc" = 2 ] || fail "hvdb $*: exit $rc, expected 2 ($(cat "$work/err"))"
  grep -qF -- "$message" "$work/err" || fail "hvdb $*: '$message' not in: $(cat "$work/err")"
  grep -q "^usage: hvdb" "$work/err" || fail "hvdb $*: no usage line in: $(cat "$work/err")"
  [ ! -s "$work/out" ] || fail "hvdb $*: printed on stdout: $(cat "$work/out")"
}
db="$work/db"

# Numbers that would wrap in their type.
expect_usage "--idle-timeout must be an integer in [1, 4294967295], got '4294967296'" serve "$db" --idle-timeout 4294967296
expect_usage "--radius must be an integer in [0, 4294967295], got '4294967296'" search "$db" c --queries q.npy --radius 4294967296
expect_usage "-k must be an integer in [0, 18446744073709551615], got '18446744073709551616'" search "$db" c --queries q.npy -k 18446744073709551616
expect_usage "--listen needs HOST:PORT with a port in [0, 65535], got '127.0.0.1:65536'" serve "$db" --listen 127.0.0.1:65536
# Out of range for what they mean.
expect_usage "--max-request must be an integer in [16, 1073741824], got '15'" serve "$db" --max-request 15
expect_usage "--idle-timeout must be an integer in [1, 4294967295], got '0'" serve "$db" --idle-timeout 0
expect_usage "--threads must be an integer in [0, 1024], got '100000'" serve "$db" --threads 100000
expect_usage "--dim must be an integer in [64, 1048576], got '1048577'" load "$db" c rows.npy --create --dim 1048577
# Trailing junk, other bases, spaces.
expect_usage "--dim must be an integer in [64, 1048576], got '1024abc'" load "$db" c rows.npy --dim 1024abc
expect_usage "-k must be an integer in [0, 18446744073709551615], got '12abc'" search "$db" c --queries q.npy -k 12abc
expect_usage "-k must be an integer in [0, 18446744073709551615], got '0x10'" search "$db" c --queries q.npy -k 0x10
expect_usage "--threads must be an integer in [0, 1024], got ' 4'" serve "$db" --threads " 4"
expect_usage "--listen needs HOST:PORT with a port in [0, 65535], got '127.0.0.1:80x'" serve "$db" --listen 127.0.0.1:80x
# Negative numbers for unsigned flags, as a separate word or after '='.
expect_usage "-k must be an integer in [0, 18446744073709551615], got '-1'" search "$db" c --queries q.npy -k -1
expect_usage "--max-request must be an integer in [16, 1073741824], got '-4096'" serve "$db" --max-request=-4096
expect_usage "--radius must be an integer in [0, 4294967295], got '-5'" search "$db" c --queries q.npy --radius -5
expect_usage "--listen needs HOST:PORT with a port in [0, 65535], got '127.0.0.1:-1'" serve "$db" --listen 127.0.0.1:-1
# Missing values.
expect_usage "--queries needs a value (FILE.npy)" search "$db" c --queries
expect_usage "--idle-timeout needs a value (SECONDS)" serve "$db" --idle-timeout
expect_usage "--dim needs a value (D)" load "$db" c rows.npy --dim=
expect_usage "-c needs a value (STATEMENTS)" shell "$db" -c
expect_usage "--queries is required" search "$db" c
expect_usage "PATH is required" serve
# Unknown flags, extra words, bad choices.
expect_usage "unknown option '--bogus'" load "$db" c rows.npy --bogus
expect_usage "unknown option '--jsn' (did you mean '--json'?)" info --jsn
expect_usage "unknown option '--conect=127.0.0.1:1' (did you mean '--connect'?)" shell --conect=127.0.0.1:1
expect_usage "unexpected argument 'extra'" export "$db" c out.hvdb extra
expect_usage "unexpected argument 'x'" version x
expect_usage "--format must be npy, hvdb or text, got 'csv'" load "$db" c rows.npy --format csv
expect_usage "give PATH or --connect, not both" shell "$db" --connect 127.0.0.1:1
expect_usage "unknown option '--frobnicate'" --frobnicate
[ ! -e "$db" ] || fail "a usage error created the database"

# hvdb with no arguments: the help, on stderr, exit 2. Unknown commands are named.
set +e; "$hvdb" >"$work/out" 2>"$work/err"; rc=$?; set -e
[ "$rc" = 2 ] && [ ! -s "$work/out" ] && grep -q "^usage: hvdb COMMAND" "$work/err" || fail "no arguments: exit $rc"
set +e; "$hvdb" serch >"$work/out" 2>"$work/err"; rc=$?; set -e
[ "$rc" = 2 ] && grep -qF "unknown command 'serch' (did you mean 'search'?)" "$work/err" || fail "serch: $(cat "$work/err")"
# help and --help: on stdout, exit 0, for every command; hvdb help COMMAND too.
"$hvdb" help | grep -q "^  search PATH COLLECTION --queries FILE.npy" || fail "hvdb help"
for cmd in info shell serve load search export calibrate version help; do
  "$hvdb" $cmd --help | grep -q "^usage: hvdb $cmd" || fail "$cmd --help"
done
"$hvdb" help serve | grep -q -- "--idle-timeout SECONDS" || fail "hvdb help serve"
# A later word that names a command is the command's argument, not a command.
"$hvdb" shell "$work/info" -c 'create collection help dim 64; count help' | grep -qx 0 || fail "shell PATH named info"
echo "cli flags: ok"

#!/usr/bin/env bash
# hvdb load / search / export / info PATH against the binary: results checked
# against a brute-force scan in Python, errors named, failed loads load nothing.
set -euo pipefail
hvdb="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Rows (with planted ties and near neighbours), queries, keys and a text file.
python3 - "$work" <<'PY'
import os, random, struct, sys
work = sys.argv[1]
random.seed(int.from_bytes(os.urandom(4), "little"))
B = 128  # bytes per row: 1024 bits
def npy(path, rows):
    hdr = "{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), B)
    hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
        for r in rows: f.write(r)
rows = [os.urandom(B) for _ in range(500)]
queries = [os.urandom(B) for _ in range(4)]
for i in range(0, 40, 4):                       # near neighbours of the queries
    q = bytearray(queries[(i // 4) % 4]); q[i] ^= 0x11; rows[i] = bytes(q)
rows[300] = rows[8]                               # exact ties: row 8 was inserted first
npy(f"{work}/rows.npy", rows)
npy(f"{work}/q.npy", queries)
with open(f"{work}/keys.txt", "w") as f:
    for i in range(500): f.write(f"item-{i}\n")
with open(f"{work}/bad.npy", "wb") as f: f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", 10) + b"{'descr': ")
def tohex(b):  # hvdb's hex form: 64-bit words lowest first, each 16 digits, most significant first
    return "".join("%016x" % int.from_bytes(b[w*8:(w+1)*8], "little") for w in range(B // 8))
with open(f"{work}/rows.tsv", "w") as f:
    for i in range(3): f.write(f"text-{i}\t{tohex(rows[i])}\n")
with open(f"{work}/badhex.tsv", "w") as f:
    f.write(f"x\t{tohex(rows[0])}\n" + "y\t" + "z" * (B * 2) + "\n")
PY

out=$("$hvdb" load "$work/db" c "$work/rows.npy" --keys "$work/keys.txt" --create)
grep -Eq "^loaded 500 vectors \(0 replaced\) into 'c' in [0-9.]+ s: [0-9]+ vectors/s$" <<<"$out" || fail "summary: $out"

# On a terminal the load draws a progress bar (on stderr), then the summary.
python3 -c 'import pty, sys; pty.spawn(sys.argv[1:])' "$hvdb" load "$work/db" tty "$work/rows.npy" --create \
  >"$work/tty.out" 2>&1 || fail "load on a pty"
grep -q "loading \[#*" "$work/tty.out" || fail "no progress bar on a terminal: $(cat -v "$work/tty.out")"
grep -q "loaded 500 vectors" "$work/tty.out" || fail "no summary on a terminal"
grep -q "loading \[" <<<"$out" && fail "progress bar drawn when stderr is not a terminal"

# Search: JSON per query, in query order, checked against brute force.
"$hvdb" search "$work/db" c --queries "$work/q.npy" -k 12 --json >"$work/hits.json"
python3 - "$work" <<'PY' || exit 1
import json, sys
work = sys.argv[1]
def rows(path):
    data = open(path, "rb").read()
    off = 10 + int.from_bytes(data[8:10], "little")
    return [data[i:i+128] for i in range(off, len(data), 128)]
R, Q = rows(f"{work}/rows.npy"), rows(f"{work}/q.npy")
lines = open(f"{work}/hits.json").read().splitlines()
assert len(lines) == len(Q), lines
for q, line in zip(Q, lines):
    got = json.loads(line)
    d = [bin(int.from_bytes(q, "little") ^ int.from_bytes(r, "little")).count("1") for r in R]
    want = sorted(range(len(R)), key=lambda i: (d[i], i))[:12]
    assert [h["key"] for h in got] == [f"item-{i}" for i in want], (got, want)
    assert [h["distance"] for h in got] == [d[i] for i in want]
    assert all(abs(h["similarity"] - (1 - h["distance"] / 1024)) < 1e-6 for h in got)
print("search matches brute force")
PY

# Radius search and the text form.
"$hvdb" search "$work/db" c --queries "$work/q.npy" -k 0 --radius 8 --json | python3 -c '
import json, sys
for line in sys.stdin:
    hits = json.loads(line)
    assert hits and all(h["distance"] <= 8 for h in hits), hits'
"$hvdb" search "$work/db" c --queries "$work/q.npy" -k 2 | grep -q "^query 3:$" || fail "text output"

# info PATH: collections, dims, counts, bytes.
"$hvdb" info "$work/db" | grep -Eq "^  c: dim 1024, 500 vectors, [0-9.]+ MiB on disk, [0-9.]+ MiB in memory" \
  || fail "info: $("$hvdb" info "$work/db")"
"$hvdb" info "$work/db" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = d["collections"][0]
assert c["name"] == "c" and c["dim"] == 1024 and c["count"] == 500 and c["memory_bytes"] > 64000, d
assert d["kernel"] in ("scalar", "avx2", "avx512", "amx"), d'

# Export, then load the .hvdb file and text lines into new collections.
"$hvdb" export "$work/db" c "$work/c.hvdb" | grep -q "exported 500 vectors" || fail "export"
"$hvdb" load "$work/db" copy "$work/c.hvdb" --create | grep -q "loaded 500 vectors" || fail "load .hvdb"
"$hvdb" load "$work/db" text "$work/rows.tsv" --create --dim 1024 | grep -q "loaded 3 vectors" || fail "load text"
"$hvdb" search "$work/db" copy --queries "$work/q.npy" -k 12 --json | cmp -s - "$work/hits.json" \
  || fail "the exported copy answers differently"

# Errors: named, exit 1, nothing loaded.
expect_error() {  # expect_error PATTERN COMMAND...
  local pattern="$1"; shift
  set +e; "$@" >"$work/out" 2>"$work/err"; local rc=$?; set -e
  [ "$rc" = 1 ] || fail "exit $rc from $*"
  grep -q -- "$pattern" "$work/err" || fail "'$pattern' not in: $(cat "$work/err")"
}
expect_error "bad.npy" "$hvdb" load "$work/db" c "$work/bad.npy"
expect_error "line 2: 'z' at hex digit 0" "$hvdb" load "$work/db" c "$work/badhex.tsv"
expect_error "no collection 'nope'" "$hvdb" search "$work/db" nope --queries "$work/q.npy"
expect_error "has dim 1024" "$hvdb" load "$work/db" c "$work/rows.npy" --dim 2048
expect_error "no database at" "$hvdb" info "$work/missing"
"$hvdb" info "$work/db" --json | python3 -c '
import json, sys
counts = {c["name"]: c["count"] for c in json.load(sys.stdin)["collections"]}
assert counts == {"c": 500, "copy": 500, "text": 3, "tty": 500}, counts'

# Keys that are not UTF-8 round-trip through --json (surrogateescape).
printf 'caf\xc3\xa9\nbin\xff\xfe\n' > "$work/odd.keys"
python3 - "$work" <<'PY'
import struct, sys
work = sys.argv[1]
q = open(f"{work}/q.npy", "rb").read()
off = 10 + int.from_bytes(q[8:10], "little")
hdr = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 128), }"
hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
with open(f"{work}/odd.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + q[off:off + 256])
PY
"$hvdb" load "$work/db" odd "$work/odd.npy" --keys "$work/odd.keys" --create >/dev/null
"$hvdb" search "$work/db" odd --queries "$work/odd.npy" -k 2 --json | python3 -c '
import json, sys
keys = [h["key"].encode("utf-8", "surrogateescape") for h in json.loads(sys.stdin.readline())]
assert sorted(keys) == [b"bin\xff\xfe", b"caf\xc3\xa9"], keys'

# The text form escapes control bytes in keys: a stored key cannot drive the
# viewer's terminal (docs/shell.md).
printf 'red\x1b[31m\nback\\slash\n' > "$work/esc.keys"
"$hvdb" load "$work/db" esc "$work/odd.npy" --keys "$work/esc.keys" --create >/dev/null
"$hvdb" search "$work/db" esc --queries "$work/odd.npy" -k 2 > "$work/esc.out"
grep -qF '  red\x1b[31m' "$work/esc.out" && grep -qF '  back\\slash' "$work/esc.out" \
  || fail "keys not escaped: $(cat -v "$work/esc.out")"
! grep -q $'\x1b' "$work/esc.out" || fail "a raw ESC in the search output"

# Usage errors exit 2; every command has --help.
set +e; "$hvdb" search "$work/db" c >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "search without --queries: exit $rc"
for cmd in load search export info calibrate; do
  "$hvdb" $cmd --help | grep -q "usage: hvdb $cmd" || fail "$cmd --help"
done
# hvdb calibrate: the planner's figures; fake devices stand in for GPUs.
HVDB_FAKE_GPU=devices=2,pairs_per_s=1e12 "$hvdb" calibrate --json | python3 -c '
import json, sys
c = json.loads(sys.stdin.read())
assert c["cpu_pairs_per_s"] > 0 and len(c["devices"]) == 2 and c["devices"][0]["name"] == "fake:0", c
assert 1 <= c["crossover_batch"] <= 65536, c'
set +e; out=$(HVDB_FAKE_GPU=bogus "$hvdb" calibrate 2>&1); set -e
echo "$out" | grep -q "HVDB_FAKE_GPU: 'bogus'" || fail "calibrate with a bad HVDB_FAKE_GPU: $out"
# GPU search through the CLI on fake devices answers like the CPU.
HVDB_FAKE_GPU=1 HVDB_DEVICE=gpu "$hvdb" search "$work/db" odd --queries "$work/odd.npy" -k 2 --json > "$work/gpu.json"
"$hvdb" search "$work/db" odd --queries "$work/odd.npy" -k 2 --json > "$work/cpu.json"
cmp -s "$work/gpu.json" "$work/cpu.json" || fail "fake GPU answers differ from the CPU's"
set +e; out=$(HVDB_DEVICE=tpu "$hvdb" search "$work/db" odd --queries "$work/odd.npy" -k 2 2>&1); rc=$?; set -e
[ "$rc" != 0 ] && echo "$out" | grep -q "HVDB_DEVICE is 'tpu'" || fail "HVDB_DEVICE=tpu: exit $rc: $out"
echo "db cli: ok"

#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/) and the inputs
that once crashed or fooled hvdb (tests/fuzz/regressions/). Run from the
repository root: python3 tests/fuzz/make_seeds.py HVDB (the hvdb program, to
export a real .hvdb file and make a real log). The outputs are committed."""
import os, shutil, struct, subprocess, sys, tempfile

root = os.path.join(os.path.dirname(os.path.abspath(__file__)))
hvdb = sys.argv[1]

def put(kind, target, name, data):
    d = os.path.join(root, kind, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def npy(rows, row_bytes, header=None, major=1):
    h = header or "{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, row_bytes)
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    size = struct.pack("<H", len(h)) if major == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes([major, 0]) + size + h.encode() + os.urandom(rows * row_bytes)

for kind in ("corpus", "regressions"):
    shutil.rmtree(os.path.join(root, kind), ignore_errors=True)

# The language: the scripted tests, and small pieces of every statement.
scripts = os.path.join(root, "..", "shell", "scripts")
for name in sorted(os.listdir(scripts)):
    if name.endswith(".hvdb"):
        put("corpus", "lang", name, open(os.path.join(scripts, name), "rb").read())
pieces = [
    'let a = sym("apple"); search c bundle(a, c["k1"], permute(a, 3)) k 5',
    "put c x hex(\"%s\"); get c x; delete c x; count c" % ("0" * 64),
    "create collection d dim 128 index ivf nlist 4 nprobe 2; alter collection d index hnsw m 8 ef 16",
    'accumulate c acc text("hello") weight -2; cleanup c acc("acc") sigma 3',
    'search p level(0.5, 0, 1, 16) k 3 radius 200 device cpu exact; search p thermometer(3, 0, 9) candidates 2',
    '.mode json\nsearch c record(sym("a"), sym("b"), sym("c"), sym("d")) k 2\n.mode table',
    'let s = sequence(ngram(sym("x"), sym("y")), circular(90, 0, 360)); collections; .describe c; .timer on',
    "-- a comment\nlet q = random(12)\n; ; search c q k 0 radius 120",
    # The dot-commands with files, inside the target's scratch directory.
    ".output o.txt\nsearch c c[\"k1\"] k 2\n.output\n.once o.txt\nget c k2\n.export c e.hvdb\n"
    "create collection e dim 256\n.import e.hvdb e\n.read o.txt\n.read ../o.txt\n.output /tmp/x\n.read .",
]
for i, p in enumerate(pieces):
    put("corpus", "lang", "piece%d.hvdb" % i, p)
# Crashes and undefined behaviour the reliability campaign found.
put("regressions", "lang", "nesting.hvdb", "let x = " + "a(" * 1000 + "1" + ")" * 1000)
put("regressions", "lang", "brackets.hvdb", "search c " + "[" * 3000)
put("regressions", "lang", "random_huge.hvdb", "let x = random(1e300)")
put("regressions", "lang", "text_huge.hvdb", 'let x = text("abc", 1e300)')
put("regressions", "lang", "level_huge.hvdb", "let x = level(1, 0, 2, 1e300)\nlet y = level(1e308, -1e308, 1e308)")
put("regressions", "lang", "permute_huge.hvdb", "let x = permute(random(1), 1e300)\nlet y = permute(random(1), -1e19)")
put("regressions", "lang", "unclosed.hvdb", 'let x = "' + "\n" * 2000)
put("regressions", "lang", "radius_huge.hvdb", "search c random(1) radius 99999999999")
put("regressions", "lang", "weight_huge.hvdb", "accumulate c a random(1) weight 1e300")

# Readers: two bytes (the dimension, 64 x (1 + b0 % 16), and where a keys
# file starts), then the file.
dim256 = bytes([3, 128])
put("corpus", "readers", "npy", dim256 + npy(4, 32))
put("corpus", "readers", "npy_v2", dim256 + npy(3, 32, major=2))
put("corpus", "readers", "npy_keys", dim256 + npy(2, 32) + b"a\nb\n")
text = "".join("k%d\t%s\n" % (i, os.urandom(32).hex()) for i in range(3))
put("corpus", "readers", "text", dim256 + text.encode())
with tempfile.TemporaryDirectory() as t:
    open(t + "/rows.tsv", "w").write(text)
    subprocess.run([hvdb, "load", t + "/db", "c", t + "/rows.tsv", "--create"], check=True, capture_output=True)
    subprocess.run([hvdb, "export", t + "/db", "c", t + "/c.hvdb"], check=True, capture_output=True)
    put("corpus", "readers", "hvdb", dim256 + open(t + "/c.hvdb", "rb").read())
    # A real log: a collection created and a few rows put, never flushed.
    script = "create collection w dim 128;" + "".join("put w k%d random(%d);" % (i, i) for i in range(6))
    subprocess.run([hvdb, "shell", t + "/w", "-c", script], check=True, capture_output=True)
    logs = sorted(n for n in os.listdir(t + "/w") if n.endswith(".log"))
    log = open(os.path.join(t, "w", logs[-1]), "rb").read()
    put("corpus", "wal", "log", log)
    flipped = bytearray(log); flipped[6 + 0] ^= 4  # a record type read as "recycled": damage, not the end
    put("regressions", "wal", "recycled_type", bytes(flipped))
    put("regressions", "wal", "torn", log[: len(log) - 3])
    zeroed = bytearray(log); zeroed[100:300] = bytes(200)  # a zeroed sector with records after it
    put("regressions", "wal", "zeroed_sector", bytes(zeroed))
put("regressions", "readers", "npy_shape_wraps", dim256 + npy(0, 0, "{'descr': '|u1', 'fortran_order': False, "
    "'shape': (281474976710656, 281474976710656)}")[:128])
put("regressions", "readers", "npy_negative", dim256 + npy(0, 0, "{'descr': '|u1', 'fortran_order': False, "
    "'shape': (-4, 32)}") + os.urandom(128))
put("regressions", "readers", "npy_two_shapes", dim256 + npy(0, 0, "{'descr': '|u1', 'shape': (4, 32), "
    "'fortran_order': False, 'shape': (1, 32)}") + os.urandom(128))
put("regressions", "readers", "long_line", dim256 + b"a" * 70000)
put("regressions", "readers", "hvdb_huge_rows", dim256 + b"HVDBVECS" + struct.pack("<IIQQ", 2, 0, 256, 1 << 62))

# Hex.
for i, h in enumerate(["0" * 16, "f" * 32, os.urandom(128).hex(), "ABCDEF0123456789", "x" * 16, "0" * 15, ""]):
    put("corpus", "hex", "h%d" % i, h)

# Server request lines.
for i, line in enumerate(["count c", 'search c c["k1"] k 3', ".help", "collections", 'get c "k\\x00\\x1b"',
                          "put c new random(3)", "bogus", ".mode table", 'let x = "', "search c random(1) k 5; count c"]):
    put("corpus", "server_request", "r%d" % i, line)
put("regressions", "server_request", "control_bytes", 'put c "\\x1b[31m\\x7f\\xc2\\x85" random(1)')
print("seeds written under", root)

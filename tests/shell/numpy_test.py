#!/usr/bin/env python3
"""hvdb's .npy files checked by numpy itself (Debian's python3-numpy): bool and
0/1 uint8 rows load as one bit per element, --pad and its advice, keyless
loads numbered on, exports by extension (.npy + keys, text, .hvdb) that numpy
reads back bit for bit, keys a format cannot hold refused with no file
written, a failed `load --create` leaving nothing, both dimensions named on a
mismatch, and HVDB_DB standing for PATH."""
import os, subprocess, sys, tempfile

import numpy as np

hvdb = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp()
os.chdir(work)
rng = np.random.default_rng(20261130)
failures = []


def run(*args, env=None, stdin=None):
    p = subprocess.run([hvdb, *args], capture_output=True, text=True, env=env, input=stdin)
    return p.returncode, p.stdout, p.stderr


def check(cond, what, detail=""):
    if not cond:
        failures.append(what + ("\n    " + detail if detail else ""))


def ok(*args, **kw):
    rc, out, err = run(*args, **kw)
    check(rc == 0, "hvdb %s exits 0" % " ".join(args), err)
    return out


def fails(pattern_list, *args, rc_want=1, **kw):
    rc, out, err = run(*args, **kw)
    check(rc == rc_want, "hvdb %s exits %d (got %d)" % (" ".join(args), rc_want, rc), err)
    for p in pattern_list:
        check(p in err, "hvdb %s says %r" % (" ".join(args), p), err)


def unpack(path, dim):
    return np.unpackbits(np.load(path), axis=1, bitorder="little")[:, :dim].astype(bool)


# A bool array (what `emb > 0` gives) of 1000 columns: one bit per element,
# not a multiple of 64, so refused with the advice, and nothing is created.
bits = rng.integers(0, 2, (100, 1000)).astype(bool)
np.save("bools.npy", bits)
fails(["holds rows of 1000 bits (bool, one bit per element)", "pad each row with zero bits to 1024", "--pad"],
      "load", "db", "b", "bools.npy", "--create")
check(not os.path.exists("db"), "a failed load --create leaves no database directory")

ok("load", "db", "b", "bools.npy", "--create", "--pad")
ok("export", "db", "b", "b.npy")
back = np.load("b.npy")
check(back.dtype == np.uint8 and back.shape == (100, 128), "the export is packed uint8, 128 bytes a row",
      str((back.dtype, back.shape)))
check(np.array_equal(unpack("b.npy", 1000), bits), "bool rows come back bit for bit")
check(not np.unpackbits(back, axis=1, bitorder="little")[:, 1000:].any(), "the padding bits are zero")
check(open("b.keys").read().split("\n")[:-1] == [str(i) for i in range(100)], "the keys file holds 0..99 in order")

# uint8 0/1 rows with --unpacked are the same vectors; a 2 is refused naming
# its row and column, and a failed load --create into an existing database
# leaves no collection behind.
np.save("ones.npy", bits.astype(np.uint8))
ok("load", "db", "u", "ones.npy", "--create", "--pad", "--unpacked")
ok("export", "db", "u", "u.npy")
check(np.array_equal(np.load("u.npy"), back), "uint8 0/1 rows with --unpacked equal the bool rows")
twos = bits.astype(np.uint8)
twos[7, 33] = 2
np.save("twos.npy", twos)
fails(["row 7, column 33: 2 is not a bit"], "load", "db", "t", "twos.npy", "--create", "--pad", "--unpacked")
_, out, _ = run("info", "db")
check("  t:" not in out, "a failed load --create leaves no collection", out)

# Packed rows: a second keyless file is numbered after the first, not over it.
a = np.packbits(rng.integers(0, 2, (50, 1024)).astype(np.uint8), axis=1, bitorder="little")
b = np.packbits(rng.integers(0, 2, (30, 1024)).astype(np.uint8), axis=1, bitorder="little")
np.save("a.npy", a)
np.save("b2.npy", b)
ok("load", "db", "p", "a.npy", "--create")
out = ok("load", "db", "p", "b2.npy")
check("keys 50 to 79" in out, "the second keyless load is numbered 50 to 79", out)
ok("export", "db", "p", "p.npy")
check(np.array_equal(np.load("p.npy"), np.concatenate([a, b])), "both loads are kept, in order")
out = ok("load", "db", "p", "b2.npy", "--first-row", "0")
check("(30 replaced)" in out, "--first-row 0 replaces rows 0..29", out)
ok("export", "db", "p", "p.npy")  # replaced rows move to the end of insertion order
packed = np.load("p.npy")
check(np.array_equal(packed, np.concatenate([a[30:], b, b])), "the replaced rows hold the new vectors, last")
check(open("p.keys").read().split("\n")[:-1] == [str(i) for i in list(range(30, 80)) + list(range(30))],
      "the keys follow the rows")

# Text export: key<TAB>hex, 16 digits a 64-bit word, lowest word first.
ok("export", "db", "p", "p.txt")
lines = open("p.txt").read().split("\n")[:-1]
check(len(lines) == 80, "the text export has 80 lines", str(len(lines)))
for i, line in enumerate(lines[:5]):
    key, hexa = line.split("\t")
    words = [int(hexa[16 * w:16 * w + 16], 16) for w in range(16)]
    check(np.array_equal(np.array(words, dtype="<u8").view(np.uint8), packed[i]),
          "text line %d holds the row's words" % i)
# Each export loads back into a new collection as the same rows and keys.
for name, extra in (("p.npy", ["--keys", "p.keys"]), ("p.txt", []), ("p.hvdb", [])):
    if name == "p.hvdb":
        ok("export", "db", "p", "p.hvdb")
    coll = "r" + name.split(".")[1]
    ok("load", "db", coll, name, "--create", *extra)
    ok("export", "db", coll, coll + ".npy")
    check(np.array_equal(np.load(coll + ".npy"), packed), "%s loads back the same rows" % name)
    check(open(coll + ".keys").read() == open("p.keys").read(), "%s loads back the same keys" % name)

# An exported .npy loads back with its keys file beside it, unless told not to.
out = ok("load", "db", "paired", "p.npy", "--create")
check("keys from 'p.keys'" in out, "load pairs p.npy with p.keys", out)
ok("export", "db", "paired", "paired.npy")
check(open("paired.keys").read() == open("p.keys").read(), "the paired load kept p's keys")
out = ok("load", "db", "numbered", "p.npy", "--create", "--no-keys")
check("keys 0 to 79" in out, "--no-keys numbers the rows", out)
out = ok("shell", "db", stdin="create collection imported dim 1024\ncreate collection numbered2 dim 1024\n"
                              ".import p.npy imported\n.import p.npy numbered2 nokeys\n")
check("imported 80 vectors (0 replaced)\nimported 80 vectors (0 replaced) as keys 0 to 79\n" in out,
      ".import pairs p.npy with p.keys, and numbers the rows with nokeys", out)
# Options that would be ignored are refused.
fails(["applies to .npy sources"], "load", "db", "p", "p.hvdb", "--pad")
fails(["has its keys"], "load", "db", "p", "p.npy", "--keys", "p.keys", "--first-row", "5")
fails(["--keys and --no-keys exclude each other"], "load", "db", "p", "p.npy", "--keys", "p.keys", "--no-keys",
      rc_want=2)

# Keys a line-based format cannot hold: refused, naming the key; no file written.
ok("shell", "db", stdin='put p "two\\nlines" random()\nput p "a\\tb" random()\n')
fails(["holds a line break", "an .hvdb file keeps any key"], "export", "db", "p", "nl.npy")
check(not os.path.exists("nl.npy") and not os.path.exists("nl.keys"), "a refused .npy export writes no file")
fails(["holds a line break"], "export", "db", "p", "nl.txt")
check(not os.path.exists("nl.txt"), "a refused text export writes no file")
ok("export", "db", "p", "nl.hvdb")
# A key ending in a carriage return fits text (it sits before the TAB), not a keys file.
ok("shell", "db", stdin='create collection cr dim 64\nput cr "key\\x0d" random(1)\n')
ok("export", "db", "cr", "cr.txt")
ok("load", "db", "cr2", "cr.txt", "--create")
out = ok("shell", "db", "-c", '.mode json', "-c", 'get cr2 "key\\x0d"')
check('"key":"key\\r"' in out, "a key ending in \\r round-trips through text", out)
fails(["ends in a carriage return"], "export", "db", "cr", "cr.npy")

# Mismatched dimensions name both; HVDB_DB stands for PATH.
np.save("q.npy", rng.integers(0, 2, (3, 2048)).astype(bool))
fails(["holds queries of dim 2048", "has dim 1024"], "search", "db", "p", "--queries", "q.npy")
fails(["holds rows of 2048 bits (bool, one bit per element), vectors of dim 2048", "has dim 1024"],
      "load", "db", "p", "q.npy")
np.save("q1.npy", np.load("p.npy")[:1])
env = dict(os.environ, HVDB_DB=os.path.join(work, "db"))
out = ok("search", "p", "--queries", "q1.npy", "-k", "1", env=env)
check("  30\t0\t" in out, "hvdb search with HVDB_DB finds row 0 (key 30) at distance 0", out)
out = ok("load", "p", "b2.npy", "--first-row", "1000", env=env)
check("keys 1000 to 1029" in out, "hvdb load with HVDB_DB loads into it", out)
fails(["no database at 'nowhere' (add --create to make one)"], "load", "nowhere", "c", "a.npy")

if failures:
    print("FAIL:\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)
print("numpy files: ok")

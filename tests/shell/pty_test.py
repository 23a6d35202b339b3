#!/usr/bin/env python3
"""The interactive shell on a pseudo-terminal: types statements, completes a
statement word with TAB, recalls the last statement with the Up arrow,
continues an open bracket on the next line, abandons a line with Ctrl-C,
keeps non-ASCII letters typed in, completes by context (collections, index
kinds, modes, file names), cancels a running alter with Ctrl-C, and finds
the history saved to ~/.hvdb_history."""
import os, pty, select, sys, tempfile, time

hvdb = sys.argv[1]
home = tempfile.mkdtemp()
pid, fd = pty.fork()
if pid == 0:
    os.environ["HOME"] = home
    os.environ["TERM"] = "xterm"
    os.environ["LC_ALL"] = "C.UTF-8"
    os.execv(hvdb, [hvdb, "shell", home + "/db"])

out = b""


seen = 0  # how much of `out` earlier calls have matched past, as expect(1) does


def read_until(pattern, timeout=10.0):
    """Reads until `pattern` appears after the previous match or time runs out."""
    global out, seen
    end = time.time() + timeout
    while True:
        at = out.find(pattern.encode(), seen)
        if at >= 0:
            seen = at + len(pattern.encode())
            return True
        if time.time() >= end:
            return False
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                return False


def fail(message):
    print("FAIL:", message, "\n--- terminal ---\n" + out.decode(errors="replace"), file=sys.stderr)
    sys.exit(1)


if not read_until("hvdb> "):
    fail("no prompt")
os.write(fd, b'create collection fruit dim 64\r')
read_until("hvdb> ")
os.write(fd, b'put fruit apple sym("apple")\r')
read_until("hvdb> ")
os.write(fd, b'sea\t')  # completes to "search "
if not read_until("rch"):
    fail("TAB did not complete 'sea'")
os.write(fd, b'fruit sym("apple") k 1\r')
if not read_until("apple  0"):
    fail("the completed search gave no result")
read_until("hvdb> ")
os.write(fd, b'\x1b[A\r')  # Up: the search again
if not read_until("apple  0"):
    fail("Up did not recall the last statement")
read_until("hvdb> ")
os.write(fd, b'search fruit bundle(sym("apple"),\r')  # multi-line input
if not read_until("...> "):
    fail("no continuation prompt for an open bracket")
os.write(fd, b'sym("apple"), sym("pear")) k 1\r')
if not read_until("apple  "):
    fail("the multi-line statement gave no result")
# Wait for the prompt before typing on: typed ahead of it, the line is echoed
# by the terminal and then drawn again with the prompt, and the "hvdb> " that
# follows Ctrl-C could be mistaken for this one (a slow ASan run did that).
if not read_until("hvdb> "):
    fail("no prompt after the multi-line statement")
os.write(fd, b'count fruit and more')  # Ctrl-C abandons the line, the shell stays
read_until("and more")  # as a person would: the line is on the screen before Ctrl-C
os.write(fd, b'\x03')
if not read_until("hvdb> "):
    fail("no prompt after Ctrl-C")
os.write(fd, b'count fruit\r')
if not read_until("\n1\r\n"):
    fail("the shell did not go on after Ctrl-C")
read_until("hvdb> ")
os.write(fd, 'put fruit "café" sym("x")\r'.encode())  # a non-ASCII key typed in
read_until("hvdb> ")
os.write(fd, 'get fruit "café"\r'.encode())
if not read_until("café  "):
    fail("a key typed with a non-ASCII letter was not kept")
# Completion by context: a collection after alter collection, an index kind
# after index, a mode after .mode, a file name after .read.
read_until("hvdb> ")
os.write(fd, b'alter collection fr\t')
if not read_until("uit "):
    fail("TAB after 'alter collection fr' did not complete the collection")
os.write(fd, b'index hn\t')
if not read_until("sw "):
    fail("TAB after 'index hn' did not complete the index kind")
os.write(fd, b'\r')
read_until("hvdb> ")
# After non-ASCII letters the context is still right (libedit counts the
# word's start in characters, the line is UTF-8 bytes): the expression's
# brackets are closed, so 'dev' is the search option.
os.write(fd, 'search fruit text("ééééé") dev'.encode() + b'\t')
if not read_until("ice "):
    fail("TAB after a closed expression with non-ASCII letters did not complete 'device'")
os.write(fd, b'cpu k 1\r')
read_until("hvdb> ")
os.write(fd, b'.mode c\t')  # csv only: create, count, collections... do not fit here
if not read_until("sv "):
    fail("TAB after '.mode c' did not complete csv")
os.write(fd, b'\r')
read_until("hvdb> ")
with open(os.path.join(home, "statements.hvdb"), "w") as script:
    script.write("count fruit\n")
os.write(fd, ('.read ' + home + '/statem').encode() + b'\t')
if not read_until("ents.hvdb"):
    fail("TAB after '.read DIR/statem' did not complete the file name")
os.write(fd, b'\r')
if not read_until("count\r\n2\r\n"):
    fail("the completed .read did not run (csv mode)")
read_until("hvdb> ")

# Ctrl-C cancels a running alter (an hnsw build of 40,000 random 1024-bit
# rows takes about 15 s on 2 cores): it stops at its next batch, the old index stays, and
# the shell goes on.
rows, cols = 40000, 128
header = "{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(os.path.join(home, "big.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + os.urandom(rows * cols))
os.write(fd, b'.mode table\r')
read_until("hvdb> ")
os.write(fd, b'create collection big dim 1024\r')
read_until("hvdb> ")
os.write(fd, ('.import ' + home + '/big.npy big\r').encode())
if not read_until("imported 40000 vectors", timeout=60):
    fail("the .npy for the cancel did not load")
read_until("hvdb> ")
os.write(fd, b'alter collection big index hnsw\r')
time.sleep(1.0)
started = time.time()
os.write(fd, b'\x03')
if not read_until("cancelled (Ctrl-C)", timeout=60):
    fail("Ctrl-C did not cancel the running alter")
cancel_seconds = time.time() - started
read_until("hvdb> ")
os.write(fd, b'.describe big\r')
if not read_until("index flat"):
    fail("after the cancelled alter the collection's index is not the old one")
read_until("hvdb> ")
os.write(fd, b'.quit\r')
_, status = os.waitpid(pid, 0)
if status != 0:
    fail("exit status %d" % status)
import re
# libedit stores lines vis-encoded (a space as \040).
history = re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1), 8)),
                 open(os.path.join(home, ".hvdb_history"), errors="replace").read())
if 'put fruit apple sym("apple")' not in history:
    fail("history not saved: " + history)
print("shell pty: ok (Ctrl-C stopped the alter in %.1f s)" % cancel_seconds)

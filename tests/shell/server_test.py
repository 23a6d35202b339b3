#!/usr/bin/env python3
"""hvdb serve: 32 concurrent clients mixing writes and searches with every
answer checked; malformed, oversized, truncated and multi-statement requests;
abrupt disconnects; the idle timeout; graceful shutdown on SIGTERM; and
hvdb shell --connect."""
import json, os, signal, socket, subprocess, sys, tempfile, threading, time

import serving

hvdb = sys.argv[1]
work = tempfile.mkdtemp()
db = os.path.join(work, "db")
served = serving.Server(hvdb, db, "--max-request", "4096", "--idle-timeout", "2", http=False)
server, port = served.proc, served.lines_port
failures = []


def fail(message):
    failures.append(message)


def splitmix_hex(seed, words):
    """hvdb's Random(dim, seed) in its hex form (docs/format.md)."""
    out, state, mask = [], seed, (1 << 64) - 1
    for _ in range(words):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append("%016x" % (z ^ (z >> 31)))
    return "".join(out)


def Client():
    return serving.Lines(port)


setup = Client()
assert setup.ask("create collection shared dim 256") == {"ok": True}
setup.sock.close()


def worker(i):
    try:
        c = Client()
        if c.ask("create collection c%d dim 256" % i) != {"ok": True}:
            return fail("client %d: create" % i)
        for j in range(20):
            seed = i * 1000 + j
            if c.ask("put c%d k%d random(%d)" % (i, j, seed)) != {"ok": True}:
                return fail("client %d: put" % i)
            if c.ask('put shared "%d-%d" random(%d)' % (i, j, seed)) != {"ok": True}:
                return fail("client %d: shared put" % i)
            hits = c.ask("search c%d random(%d) k 1" % (i, seed))
            if hits != [{"key": "k%d" % j, "distance": 0, "similarity": 1.0}]:
                return fail("client %d: search gave %r" % (i, hits))
            got = c.ask("get c%d k%d" % (i, j))
            if got != {"key": "k%d" % j, "hex": splitmix_hex(seed, 4)}:
                return fail("client %d: get gave %r" % (i, got))
            found = c.ask("search shared random(%d) k 1" % seed)
            if not found or found[0]["distance"] != 0:
                return fail("client %d: shared search gave %r" % (i, found))
        if c.ask("count c%d" % i) != {"count": 20}:
            return fail("client %d: count" % i)
    except Exception as e:  # noqa: BLE001 - any failure of a client is a test failure
        fail("client %d: %r" % (i, e))


threads = [threading.Thread(target=worker, args=(i,)) for i in range(32)]
for t in threads:
    t.start()
for t in threads:
    t.join()
c0 = Client()  # opened now: the idle timeout (2 s) must not close it before use
if c0.ask("count shared") != {"count": 640}:
    fail("shared count: %r" % c0.ask("count shared"))

# Malformed requests get an error value; the connection goes on.
bad = c0.ask("\x01\x02 garbage ((")
if "error" not in bad:
    fail("malformed request answered %r" % bad)
if "error" not in c0.ask("count shared; count shared"):
    fail("two statements in one request were not refused")
if c0.ask("count shared") != {"count": 640}:
    fail("connection unusable after a malformed request")

# Oversized: an error value, then the server closes that connection.
big = Client()
big.sock.sendall(b"x" * 5000)
try:
    answer = json.loads(big.sock.recv(65536).split(b"\n")[0])
    if "longer than 4096" not in answer.get("error", ""):
        fail("oversized request answered %r" % answer)
except Exception as e:  # noqa: BLE001
    fail("oversized request: %r" % e)

# Truncated and abandoned requests, abrupt disconnects: only that connection is affected.
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b'put shared x sym("trunc')
s.close()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"search shared random(1) k 5\n")
s.close()
if c0.ask("count shared") != {"count": 640}:
    fail("server state changed by abandoned requests")

# Idle timeout: a silent connection is closed after 2 s.
idle = Client()
idle.sock.settimeout(10)
start = time.time()
if idle.sock.recv(1) != b"" or time.time() - start > 8:
    fail("idle connection was not closed")

# hvdb shell --connect speaks the same language and shows the answers as
# the local shell does: tables, numbers, errors on stderr; .mode json gives
# the JSON values.
out = subprocess.run([hvdb, "shell", "--connect", "127.0.0.1:%d" % port, "-c",
                      "count shared; count c0; get c0 k1; search c0 random(1) k 1; count nope"],
                     capture_output=True, text=True, timeout=30)
lines = out.stdout.splitlines()
if [l.split()[:2] for l in lines] != [["640"], ["20"], ["key", "hex"], ["k1", splitmix_hex(1, 4)],
                                       ["key", "distance"], ["k1", "0"]]:
    fail("--connect printed %r %r" % (out.stdout, out.stderr))
if "no collection 'nope'" not in out.stderr or not out.stderr.startswith("Error: "):
    fail("--connect error: %r" % out.stderr)
out = subprocess.run([hvdb, "shell", "--connect", "127.0.0.1:%d" % port, "-c", ".mode json\ncount shared"],
                     capture_output=True, text=True, timeout=30)
if out.stdout.splitlines() != ['{"count":640}']:
    fail("--connect in json mode printed %r %r" % (out.stdout, out.stderr))
# .timer's line is a notice: on stderr, never in the CSV, and not an error.
out = subprocess.run([hvdb, "shell", "--connect", "127.0.0.1:%d" % port, "-c",
                      ".mode csv\n.timer on\nsearch c0 random(1) k 1"], capture_output=True, text=True, timeout=30)
if (out.returncode != 0 or out.stdout.splitlines() != ["key,distance,similarity", "k1,0,1.000000"]
        or not out.stderr.startswith("time: ") or "rows scanned: 20" not in out.stderr or "Error" in out.stderr):
    fail("--connect with .timer on: rc %d, %r %r" % (out.returncode, out.stdout, out.stderr))

# Graceful shutdown: a request in flight is answered, then the process ends.
inflight = Client()
inflight.ask("count shared")  # accepted and served once: a live connection
inflight.sock.sendall(b"count shared\n")
server.send_signal(signal.SIGTERM)
try:
    data = inflight.sock.recv(65536)
    # Answered if the server read it before the signal; refused by name if
    # it arrived after (the signal can overtake it); never half an answer.
    if data and json.loads(data.split(b"\n")[0]) not in ({"count": 640}, {"error": "the server is stopping"}):
        fail("in-flight request answered %r" % data)
except Exception as e:  # noqa: BLE001
    fail("in-flight request: %r" % e)
try:
    rc = server.wait(timeout=20)
except subprocess.TimeoutExpired:
    server.kill()
    rc = "timeout"
rest = server.stdout.read()
if rc != 0 or "stopped" not in rest:
    fail("shutdown: exit %r, output %r %r" % (rc, rest, server.stderr.read()))
info = subprocess.run([hvdb, "info", db, "--json"], capture_output=True, text=True, timeout=60)
counts = {c["name"]: c["count"] for c in json.loads(info.stdout)["collections"]} if info.returncode == 0 else {}
if counts.get("shared") != 640 or len(counts) != 33:
    fail("after shutdown the database holds %r (%s)" % (counts, info.stderr))

if failures:
    print("FAIL:\n  " + "\n  ".join(failures[:20]), file=sys.stderr)
    sys.exit(1)
print("server: ok")

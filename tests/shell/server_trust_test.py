#!/usr/bin/env python3
"""hvdb serve as a trust boundary (docs/server.md), over both protocols:
no file access without --files-dir, confined with it (.., absolute paths and
symlinks refused, no server path in any answer); tokens (none, wrong,
read-only writing, read-write); limits (nesting, .read depth, work,
statements, request time) answered with errors while others are served; a
slow statement does not hold up other clients; EMFILE recovery; SIGTERM with
a client that never reads; refusing to listen beyond loopback without
tokens; TLS."""
import json, os, resource, socket, ssl, subprocess, sys, tempfile, threading, time

import serving

hvdb = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp()
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr)


def check(condition, message):
    if not condition:
        fail(message)


def Server(*flags, db="db", preexec=None):
    return serving.Server(hvdb, os.path.join(work, db), *flags, preexec=preexec)


def statements(server, script, token=None):
    return server.statements(script, token)


def error_text(answer):
    if isinstance(answer, dict):
        return answer.get("error", "")
    if isinstance(answer, list) and answer and isinstance(answer[-1], dict):
        return answer[-1].get("error", "")
    return ""


# ---- Files: none without --files-dir, confined with it.
files = os.path.join(work, "files")
os.makedirs(os.path.join(files, "sub"))
with open(os.path.join(files, "script.hvdb"), "w") as f:
    f.write("count c\n")
with open(os.path.join(files, "self.hvdb"), "w") as f:
    f.write(".read self.hvdb\n")
with open(os.path.join(files, "rows.tsv"), "w") as f:
    f.write("t1\t" + "0" * 64 + "\n")
os.symlink("/etc/passwd", os.path.join(files, "passwd"))
os.symlink("/etc", os.path.join(files, "etc"))
os.symlink("/dev/zero", os.path.join(files, "zero"))

server = Server()
c = server.lines()
check(c.ask("create collection c dim 256") == {"ok": True}, "create")
secret_paths = [work, server.db, "/etc/passwd", "/etc/hostname", "/dev/zero"]


def leaks(request, answer):
    """A path of the server's in the answer that the request did not name itself."""
    return any(p in json.dumps(answer) and p not in request for p in secret_paths)


for request in [".read /etc/hostname", ".import /dev/zero c", ".export c /tmp/out.hvdb", ".demo /etc/passwd",
                ".read script.hvdb"]:
    for answer in (c.ask(request), statements(server, request)[1]):
        text = error_text(answer)
        check("gives no access to files" in text, "%s without --files-dir answered %r" % (request, answer))
        check(not leaks(request, answer), "%s leaked a path: %r" % (request, answer))
check(not os.path.exists("/tmp/out.hvdb"), ".export wrote a file")
rc, seconds, _ = server.stop()
check(rc == 0, "stop: %r" % rc)

server = Server("--files-dir", files)
c = server.lines()
check(c.ask(".read script.hvdb") == {"count": 0}, ".read inside the files directory")
check(c.ask(".import rows.tsv c").get("rows") == 1, ".import inside")
check(c.ask(".export c sub/c.hvdb").get("rows") == 1 and os.path.exists(os.path.join(files, "sub", "c.hvdb")),
      ".export inside")
refused = {"../x": "outside", "sub/../../x": "outside", "/etc/hostname": "absolute", "passwd": "outside",
           "etc/hostname": "outside", "zero": "outside", "etc/nothere": "outside", "nothere": "no such file"}
for name, why in refused.items():
    for request in (".read " + name, ".import %s c" % name):
        answer = c.ask(request)
        check(why in error_text(answer), "%s answered %r" % (request, answer))
        check(not leaks(request, answer), "%s leaked a path: %r" % (request, answer))
check("outside" in error_text(c.ask(".export c ../escape.hvdb")), ".export with ..")
check(not os.path.exists(os.path.join(work, "escape.hvdb")), ".export escaped")
check("outside" in error_text(statements(server, ".read ../x")[1]), "HTTP .read ..")
# A FIFO (or a device) inside the directory would block a worker forever: only plain files.
os.mkfifo(os.path.join(files, "pipe"))
for request in (".read pipe", ".import pipe c", ".export c pipe"):
    check("not a regular file" in error_text(c.ask(request)), "%s: a FIFO was opened" % request)
# A file that reads itself: an error, and the server goes on.
answer = c.ask(".read self.hvdb")
check("nests deeper than" in json.dumps(answer), ".read self answered %r" % answer)
check(c.ask("count c") == {"count": 1}, "after the self .read")
# Deep nesting, 90 KB of it, in both protocols: an error, and the server goes on.
nested = "let x = " + "a(" * 30000 + ")" * 30000
big = Server("--max-request", str(200000), db="db-big")
d = big.lines()
check("nest deeper than" in error_text(d.ask(nested)), "nested request")
status, answer = statements(big, nested)
check(status == 400 and "nest deeper than" in error_text(answer), "HTTP nested: %r %r" % (status, answer))
check(d.ask("collections") == [], "after nesting")
# Work and variables past their limits: 429 over HTTP.
status, answer = statements(big, 'create collection w dim 1048576; put w x text("%s")' % ("ab" * 20000))
check(status == 429 and "more work than this server allows" in error_text(answer),
      "work limit: %r %r" % (status, error_text(answer)))
status, answer = statements(big, "; ".join(["count w"] * 65))
check(status == 429 and "at most 64 statements" in error_text(answer), "statement limit: %r %r" % (status, answer))
check(big.stop()[0] == 0, "the server with --max-request did not stop cleanly")
rc, _, _ = server.stop()
check(rc == 0, "stop with files: %r" % rc)

# ---- Answers carry data as it is: no path scrubbing of data, text that
# looks like JSON is text, errors of a .read reach the client.
server = Server("--files-dir", files, "--max-hits", "3", db="db-data")
c = server.lines()
c.ask("create collection d dim 64")
for i, key in enumerate((server.db, "db", "db-data", "[x")):
    check(c.ask('put d "%s" random(%d)' % (key, 7 + i)) == {"ok": True}, "put %r" % key)
    check(c.ask('get d "%s"' % key).get("key") == key, "a key that is a server path or word came back changed: %r" % key)
status, _ = server.http("PUT", "/v1/collections/d/vectors/h", {"hex": "00000000000000db"})
status, answer = server.http("GET", "/v1/collections/d/vectors/h")
check(answer.get("hex") == "00000000000000db", "hex with 'db' in it: %r" % answer)
check(c.ask(".mode table").get("ok", True), ".mode table")
answer = c.ask('cleanup d d["[x"]')  # a table row "[x (distance 0, ...)" is text, not JSON
check("output" in answer and "[x" in answer["output"], "cleanup of a key '[x' in table mode: %r" % answer)
c.ask(".mode json")
for body in ({"statements": '.mode table\ncleanup d d["[x"]', "details": True},
             {"statements": '.mode table\ncleanup d d["[x"]'}):
    status, answer = server.http("POST", "/v1/statements", body)
    check(status == 200 and isinstance(answer, (list, dict)), "cleanup '[x' over HTTP: %r %r" % (status, answer))
check(server.http("GET", "/healthz")[0] == 200, "the server after '[x'")
# A .read whose second statement fails: the output so far and the error.
with open(os.path.join(files, "bad.hvdb"), "w") as f:
    f.write("count d\ncount nope\ncount d\n")
answer = c.ask(".read bad.hvdb")
check("nope" in answer.get("error", "") and '"count":5' in answer.get("output", ""), ".read with an error: %r" % answer)
# .bail on, an error, .bail off: a later .read runs whole.
c.ask(".bail on")
c.ask("count nope")
c.ask(".bail off")
with open(os.path.join(files, "two.hvdb"), "w") as f:
    f.write("count d\ncount d\n")
check(c.ask(".read two.hvdb").get("output", "").count('"count":5') == 2, "a .read after .bail on and an error")
# --max-hits: k above it refused, a radius that finds more refused, k at it answered.
check("--max-hits" in error_text(c.ask("search d random(7) k 4")), "k above --max-hits")
check("--max-hits" in error_text(c.ask("search d random(7) radius 64")), "a radius past --max-hits")
check(len(c.ask("search d random(7) k 3")) == 3, "k at --max-hits")
status, answer = server.http("POST", "/v1/collections/d/search", {"expression": "random(7)", "radius": 64})
check(status == 429 and "--max-hits" in error_text(answer), "HTTP radius past --max-hits: %r %r" % (status, answer))
# hvdb shell --connect: a string holding a line break is one statement; a
# .read that switches the server's session to json mode still shows answers.
out = subprocess.run([hvdb, "shell", "--connect", "127.0.0.1:%d" % server.lines_port, "-c", 'get d "x\ny"\ncount d'],
                     capture_output=True, text=True, timeout=30)
check(out.stdout.strip() == "5" and out.stderr.count("Error:") == 1,
      "--connect with a line break in a string: %r %r" % (out.stdout, out.stderr))
with open(os.path.join(files, "json.hvdb"), "w") as f:
    f.write(".mode json\ncount d\n")
out = subprocess.run([hvdb, "shell", "--connect", "127.0.0.1:%d" % server.lines_port, "-c", ".read json.hvdb\ncount d"],
                     capture_output=True, text=True, timeout=30)
check(out.stdout.count("5") == 2, "--connect after a .read switched modes: %r %r" % (out.stdout, out.stderr))
check(server.stop()[0] == 0, "the server serving data did not stop cleanly")
# The database served as "." (its own directory): answers are still JSON.
dot_db = os.path.join(work, "db-dot")
os.makedirs(dot_db)
dot = serving.Server(hvdb, ".", lines=False, cwd=dot_db)
_, answer = dot.request("POST", "/v1/statements", "create collection e dim 64; put e a random(1); search e random(1) k 1")
try:
    check(json.loads(answer)[2][0]["similarity"] == 1, "serving '.': %r" % answer)
except ValueError:
    fail("serving '.': not JSON: %r" % answer)
check(dot.stop()[0] == 0, "serving '.': stop")

# ---- Tokens.
tokens = os.path.join(work, "tokens")
with open(tokens, "w") as f:
    f.write("# the team\nreader-0123456789abcdef read-only\nwriter-0123456789abcdef read-write\n")
server = Server("--auth-token-file", tokens)
# A connection that never authenticates keeps its slot for 10 s, not --idle-timeout.
silent = socket.create_connection(("127.0.0.1", server.lines_port))
silent_http = socket.create_connection(("127.0.0.1", server.http_port))
silent_since = time.time()
w = server.lines("writer-0123456789abcdef")
check(w.ask("create collection t dim 128") == {"ok": True}, "read-write creates")
check(w.ask("put t a random(1)") == {"ok": True}, "read-write puts")
r = server.lines("reader-0123456789abcdef")
check(r.ask("count t") == {"count": 1}, "read-only reads")
for request in ("put t b random(2)", "delete t a", "drop collection t", "create collection u dim 64", ".demo",
                "accumulate t acc random(1)", ".export t out.hvdb", ".import rows.tsv t"):
    check("may only read" in error_text(r.ask(request)), "read-only %s" % request)
check(r.ask("count t") == {"count": 1}, "read-only changed something")
anonymous = server.lines()
check("authentication required" in error_text(anonymous.ask("count t")) and anonymous.closed(), "no token")
try:
    server.lines("wrong-0123456789abcdef")
    fail("a wrong token was taken")
except (RuntimeError, ConnectionError):
    pass
status, _ = server.http("GET", "/v1/collections")
check(status == 401, "HTTP without a token: %r" % status)
status, _ = server.http("GET", "/v1/collections", token="wrong-0123456789abcdef")
check(status == 401, "HTTP wrong token: %r" % status)
status, _ = server.http("GET", "/v1/collections/t", token="reader-0123456789abcdef")
check(status == 200, "HTTP read-only reads: %r" % status)
for method, path, body in [("PUT", "/v1/collections/t/vectors/b", {"hex": "0" * 32}),
                           ("DELETE", "/v1/collections/t/vectors/a", None), ("DELETE", "/v1/collections/t", None),
                           ("POST", "/v1/collections", {"name": "v", "dim": 64}),
                           ("POST", "/v1/collections/t/vectors", {"vectors": []})]:
    status, _ = server.http(method, path, body, token="reader-0123456789abcdef")
    check(status == 403, "HTTP read-only %s %s: %r" % (method, path, status))
status, answer = statements(server, "count t\nput t c random(3)\ncount t", token="reader-0123456789abcdef")
check(status == 403 and answer[0] == {"count": 1} and len(answer) == 2 and "may only read" in error_text(answer[1]),
      "HTTP read-only statement: %r %r" % (status, answer))
status, answer = statements(server, ".export t out.txt", token="reader-0123456789abcdef")
check(status == 403, "HTTP read-only .export: %r %r" % (status, answer))
status, answer = statements(server, "cuont t", token="reader-0123456789abcdef")
check(status == 400, "HTTP read-only, a bad statement: %r %r" % (status, answer))
status, _ = server.http("GET", "/metrics")
check(status == 401, "/metrics without a token: %r" % status)
status, _ = server.http("GET", "/healthz")
check(status == 200, "/healthz needs no token: %r" % status)
out = subprocess.run([hvdb, "shell", "--connect", "127.0.0.1:%d" % server.lines_port, "-c", "count t"],
                     capture_output=True, text=True, timeout=30)
check("authentication required" in out.stderr + out.stdout, "--connect without a token: %r" % (out.stdout + out.stderr))
reader_file = os.path.join(work, "reader-token")
with open(reader_file, "w") as f:
    f.write("reader-0123456789abcdef\n")
out = subprocess.run([hvdb, "shell", "--connect", "127.0.0.1:%d" % server.lines_port, "--token-file", reader_file,
                      "-c", "count t"], capture_output=True, text=True, timeout=30)
check(out.stdout.strip() == "1", "--connect with a token: %r" % (out.stdout + out.stderr))
# "Authorization: bearer" (the scheme in any case) is taken; a 401 closes the connection.
status, _ = server.http("GET", "/v1/collections", headers={"Authorization": "bearer writer-0123456789abcdef"})
check(status == 200, "lower-case bearer: %r" % status)
for sock in (silent, silent_http):
    sock.settimeout(20)
    try:
        gone = sock.recv(1) == b""
    except OSError:
        gone = True
    waited = time.time() - silent_since
    check(gone and 8 < waited < 16, "a silent unauthenticated connection lasted %.1f s" % waited)
check(server.stop()[0] == 0, "the server with tokens did not stop cleanly")
# Beyond loopback without tokens: refused before listening.
out = subprocess.run([hvdb, "serve", os.path.join(work, "db-open"), "--listen", "0.0.0.0:0"], capture_output=True,
                     text=True, timeout=30)
check(out.returncode == 1 and "needs --auth-token-file" in out.stderr, "0.0.0.0 without tokens: %r" % out.stderr)
# A files directory that holds the database (or lies in it) would let clients overwrite its files.
for db_path, files_dir, cwd in ((os.path.join(files, "inner-db"), files, None), (work, files, None),
                                ("newdb", ".", files)):  # relative and not there yet
    out = subprocess.run([hvdb, "serve", db_path, "--files-dir", files_dir], capture_output=True, text=True,
                         timeout=30, cwd=cwd)
    check(out.returncode == 1 and "overlap" in out.stderr, "--files-dir overlapping %s: %r" % (db_path, out.stderr))
check(not os.path.exists(os.path.join(files, "newdb")), "an overlapping database was created")

# ---- A slow request holds up no other client; the time limit stops it.
server = Server("--files-dir", files, "--request-timeout", "2", "--workers", "2", db="db-slow")
c = server.lines()
c.ask("create collection s dim 8192")
with open(os.path.join(files, "slow.hvdb"), "w") as f:
    f.write("\n".join("put s k%d random(%d)" % (i, i) for i in range(200000)))
result = {}


def slow():
    start = time.time()
    result["answer"] = server.lines().ask(".read slow.hvdb")
    result["seconds"] = time.time() - start


t = threading.Thread(target=slow)
t.start()
time.sleep(0.5)
start = time.time()
check(server.lines().ask("count s").get("count", -1) >= 0, "a quick request beside a slow one")
quick = time.time() - start
t.join()
check(quick < 1.0, "a quick request waited %.2f s behind a slow one" % quick)
check("time limit" in json.dumps(result.get("answer")) and result.get("seconds", 99) < 10,
      "the slow request was not stopped: %r" % result)
check(server.stop()[0] == 0, "the server with a slow request did not stop cleanly")
# One worker: a request queued behind a slow one gets its whole time limit
# once it starts (the limit does not count the queue).
server = Server("--files-dir", files, "--request-timeout", "2", "--workers", "1", db="db-slow")
t = threading.Thread(target=slow)
t.start()
time.sleep(0.5)
queued = server.lines().ask("count s")
t.join()
check(queued.get("count", -1) >= 0, "a request queued behind a slow one was cancelled: %r" % queued)
check("time limit" in json.dumps(result.get("answer")), "the slow request (one worker): %r" % result)
check(server.stop()[0] == 0, "the server with one worker did not stop cleanly")

# ---- Out of file descriptors: the server keeps accepting once they free up.
def low_fd_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def undefined_behavior_sanitizer():
    # The handlers' names are in the binary whether UBSan's runtime is linked
    # dynamically (gcc: libubsan) or statically (clang).
    with open(hvdb, "rb") as f:
        return b"__ubsan_handle_" in f.read()


if undefined_behavior_sanitizer():
    # UBSan's vptr check reads a vtable through a new pipe (sanitizer_common
    # IsAccessibleMemoryRange); with no descriptor free it fails and UBSan
    # reports the next virtual call as undefined and stops the process,
    # whatever the suppressions. The plain build runs this part.
    print("not run under UBSan: recovery from EMFILE (its vptr check needs a free descriptor)")
else:
    server = Server(preexec=low_fd_limit, db="db-fd")
    held = []
    try:
        for _ in range(100):
            s = socket.create_connection(("127.0.0.1", server.lines_port), timeout=5)
            held.append(s)
    except OSError:
        pass
    time.sleep(0.5)
    for s in held:
        s.close()
    time.sleep(0.5)
    try:
        check(server.lines().ask("collections") == [], "after EMFILE the server answers")
    except Exception as e:  # noqa: BLE001
        fail("after EMFILE: %r" % e)
    status, _ = server.http("GET", "/healthz")
    check(status == 200, "HTTP after EMFILE: %r" % status)
    _, metrics = server.http("GET", "/metrics")
    check("accept failed: Too many open files" in metrics, "the server never ran out of descriptors: %s" % metrics)
    check(server.stop()[0] == 0, "the server after EMFILE did not stop cleanly")

# ---- SIGTERM with a client that never reads: its blocked answer gets 1 s
# (kShutdownWriteSeconds), not the grace period (10 s) or the write timeout (30 s).
server = Server(db="db-term")
c = server.lines()
c.ask("create collection g dim 8192")
for i in range(200):
    c.ask("put g k%d random(%d)" % (i, i))
stuck = socket.create_connection(("127.0.0.1", server.lines_port))
stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
for _ in range(2000):  # answers of 200 hits each that nobody reads
    try:
        stuck.sendall(b"search g random(1) k 200\n")
    except OSError:
        break
idle = socket.create_connection(("127.0.0.1", server.lines_port))
time.sleep(2)  # the answers fill the socket buffers: a write is blocked
rc, seconds, _ = server.stop(timeout=60)
check(rc == 0 and seconds < 4, "SIGTERM with a stuck client: exit %r after %.1f s" % (rc, seconds))
stuck.close()
idle.close()

# ---- TLS on both protocols.
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                       "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                      capture_output=True, text=True)
if made.returncode != 0:
    fail("openssl: " + made.stderr)
else:
    server = Server("--tls-cert", cert, "--tls-key", key, db="db-tls")
    context = ssl.create_default_context(cafile=cert)
    c = server.lines(context=context)
    check(c.ask("create collection x dim 64") == {"ok": True}, "TLS lines")
    status, answer = server.http("GET", "/v1/collections", context=context)
    check(status == 200 and answer["collections"][0]["name"] == "x", "TLS HTTP: %r %r" % (status, answer))
    out = subprocess.run([hvdb, "shell", "--connect", "127.0.0.1:%d" % server.lines_port, "--tls", "--tls-ca", cert,
                          "-c", "count x"], capture_output=True, text=True, timeout=30)
    check(out.stdout.strip() == "0", "--connect --tls: %r" % (out.stdout + out.stderr))
    out = subprocess.run([hvdb, "shell", "--connect", "127.0.0.1:%d" % server.lines_port, "--tls", "-c", "count x"],
                         capture_output=True, text=True, timeout=30)
    check(out.returncode != 0 and "certificate" in out.stderr, "--tls without the CA: %r" % out.stderr)
    plain = socket.create_connection(("127.0.0.1", server.lines_port), timeout=10)
    plain.sendall(b"collections\n")
    try:
        data = plain.recv(100)
    except OSError:
        data = b""
    check(b"[]" not in data, "a plain client was answered over TLS: %r" % data)
    rc, _, _ = server.stop()
    check(rc == 0, "TLS stop: %r" % rc)

if failures:
    print("FAIL: %d checks" % len(failures), file=sys.stderr)
    sys.exit(1)
print("server trust: ok")

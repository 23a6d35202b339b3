"""What the tests of hvdb serve share: starting a server on free ports,
asking it over HTTP and over JSON lines, stopping it with SIGTERM."""
import http.client, json, os, signal, socket, subprocess, time


class Server:
    """`hvdb serve DB` on free ports of 127.0.0.1: JSON lines unless
    lines=False, HTTP unless http=False; more flags after."""

    def __init__(self, hvdb, db, *flags, lines=True, http=True, preexec=None, cwd=None):
        self.db = db
        command = [hvdb, "serve", db]
        command += ["--listen", "127.0.0.1:0"] if lines else ["--no-listen"]
        command += ["--http", "127.0.0.1:0"] if http else []
        self.proc = subprocess.Popen(command + list(flags), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=preexec, cwd=cwd)
        self.lines_port = self.http_port = None
        while (lines and self.lines_port is None) or (http and self.http_port is None):
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("hvdb serve did not start: " + self.proc.stderr.read())
            if line.startswith("listening on"):
                self.lines_port = int(line.split(":")[-1].split()[0])
            if line.startswith("http on"):
                self.http_port = int(line.split(":")[-1].split()[0])
        self.url = "http://127.0.0.1:%d" % self.http_port if http else None

    def stop(self, timeout=30):
        """SIGTERM; (exit status or "timeout", seconds it took, what it printed)."""
        start = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=timeout)
            rc = self.proc.returncode
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            rc = "timeout"
        return rc, time.time() - start, out

    def request(self, method, path, body=None, token=None, headers=None, context=None):
        """One request on its own connection: (http.client response, body bytes). A dict or list body is sent as
        JSON."""
        conn = (http.client.HTTPSConnection("127.0.0.1", self.http_port, context=context, timeout=60) if context
                else http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=60))
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r, data

    def http(self, method, path, body=None, token=None, headers=None, context=None):
        """(status, the body parsed as JSON, or as text when it is not JSON)."""
        r, data = self.request(method, path, body, token, headers, context)
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, data.decode(errors="replace")

    def statements(self, script, token=None):
        return self.http("POST", "/v1/statements", script, token=token, headers={"Content-Type": "text/plain"})

    def lines(self, token=None, context=None):
        return Lines(self.lines_port, token, context)


class Lines:
    """A JSON-lines client: ask() sends one request line and returns the answer parsed."""

    def __init__(self, port, token=None, context=None):
        raw = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock = context.wrap_socket(raw, server_hostname="127.0.0.1") if context else raw
        self.buf = b""
        if token:
            answer = self.ask(".auth " + token)
            if answer.get("ok") is not True:
                raise RuntimeError("auth refused: %r" % answer)

    def ask(self, request):
        self.sock.sendall(request.encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        answer, self.buf = self.buf.split(b"\n", 1)
        return json.loads(answer)

    def closed(self):
        """Whether the server closed this connection (waits for it up to the socket's timeout)."""
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True

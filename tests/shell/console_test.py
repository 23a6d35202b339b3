#!/usr/bin/env python3
"""hvdb serve --http: the web console at / in a real headless Chromium.

Drives Debian's chromium through chromedriver with the W3C WebDriver protocol
(urllib only): opens the page, runs a search typed into the editor, reads the
rendered hits table cell by cell and checks it against what the server itself
answers; checks the plan and timings, the plot of distances against chance,
Ctrl+Enter, the history, an error statement, statements on separate lines,
keys that look like HTML (shown as text), that the page loads nothing from
elsewhere, and the token field against a server that wants a token.

Usage: console_test.py HVDB_BINARY. Exits 77 (skipped) without chromium or
chromedriver. HVDB_CONSOLE_SCREENSHOT=FILE.png saves a screenshot of the
search."""
import base64, json, math, os, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.error, urllib.request

import serving

SKIP = 77
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C element reference key
CTRL, ENTER, UP = "\ue009", "\ue007", "\ue013"  # WebDriver key codes


def find_program(env, candidates):
    if os.environ.get(env):
        return os.environ[env] if os.access(os.environ[env], os.X_OK) else None
    for c in candidates:
        path = c if os.path.isabs(c) else shutil.which(c)
        if path and os.access(path, os.X_OK):
            return path
    return None


if len(sys.argv) != 2:
    sys.exit("usage: console_test.py HVDB_BINARY")
hvdb = sys.argv[1]
chromium = find_program("HVDB_CHROMIUM", ["/usr/bin/chromium", "chromium", "chromium-browser"])
chromedriver = find_program("HVDB_CHROMEDRIVER", ["chromedriver", "/usr/bin/chromedriver"])
if chromium is None or chromedriver is None:
    print("SKIP: the console test needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver); "
          "missing: " + ", ".join(n for n, p in (("chromium", chromium), ("chromedriver", chromedriver)) if p is None))
    sys.exit(SKIP)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def http(method, url, body=None, headers=None, timeout=30):
    """(status, bytes) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, probe, timeout=20.0, interval=0.2):
    """probe() until it returns something truthy; its last value otherwise fails."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


class Server(serving.Server):
    def __init__(self, db, *flags):
        try:
            super().__init__(hvdb, db, *flags, lines=False)
        except RuntimeError as e:
            raise Failure(str(e))

    def stop(self):
        """SIGTERM; the server must say 'stopped' and exit 0."""
        rc, _, out = super().stop()
        check(rc == 0, "hvdb serve exited %s" % rc)
        check("stopped" in out, "hvdb serve did not print 'stopped': %r" % out)


class WebDriver:
    """A Chromium session through chromedriver's W3C WebDriver endpoint."""

    def __init__(self, profile):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.session = None
        self.process = subprocess.Popen([chromedriver, "--port=%d" % self.port], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for("chromedriver to be ready", self._ready, timeout=30)
        options = {"binary": chromium,
                   "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--window-size=1280,900", "--no-first-run", "--user-data-dir=" + profile]}
        value = self.call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}}, timeout=90)
        self.session = value["sessionId"]

    def _ready(self):
        if self.process.poll() is not None:
            raise Failure("chromedriver exited with %s" % self.process.returncode)
        try:
            status, body = http("GET", self.base + "/status", timeout=2)
            return status == 200 and json.loads(body)["value"].get("ready")
        except (OSError, ValueError, KeyError):
            return False

    def call(self, method, path, payload=None, timeout=60):
        body = json.dumps(payload if payload is not None else {}).encode() if method == "POST" else None
        status, data = http(method, self.base + path, body, {"Content-Type": "application/json"}, timeout)
        try:
            value = json.loads(data)["value"]
        except (ValueError, KeyError):
            raise Failure("WebDriver %s %s: HTTP %d %r" % (method, path, status, data[:300]))
        if status != 200:
            raise Failure("WebDriver %s %s: HTTP %d %s" % (method, path, status, json.dumps(value)[:500]))
        return value

    def s(self, path, payload=None, method="POST"):
        return self.call(method, "/session/" + self.session + path, payload)

    def open(self, url):
        self.s("/url", {"url": url})

    def find(self, css, under=None):
        found = self.finds(css, under)
        check(found, "no element matches %r" % css)
        return found[0]

    def finds(self, css, under=None):
        path = ("/element/" + under if under else "") + "/elements"
        return [e[ELEMENT] for e in self.s(path, {"using": "css selector", "value": css})]

    def text(self, element):
        return self.s("/element/%s/text" % element, method="GET")

    def type(self, element, text):
        self.s("/element/%s/value" % element, {"text": text})

    def clear(self, element):
        self.s("/element/%s/clear" % element)

    def click(self, element):
        self.s("/element/%s/click" % element)

    def js(self, script, *args):
        return self.s("/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("/screenshot", method="GET")))

    def close(self):
        try:
            if self.session:
                self.call("DELETE", "/session/" + self.session, timeout=30)
        except Exception as e:  # noqa: BLE001 - cleaning up: the process group goes anyway
            print("note: deleting the WebDriver session: %s" % e)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait()
            try:  # chromium, should it outlive chromedriver (same process group)
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def run_in_console(d, statements, click=True):
    """Types statements into #editor and runs them (the Run button, or Ctrl+Enter)."""
    editor = d.find("#editor")
    d.clear(editor)
    d.js("document.getElementById('results').replaceChildren();")  # so that what appears next is this run's
    d.type(editor, statements)
    if click:
        d.click(d.find("#run"))
    else:
        d.type(editor, CTRL + ENTER + CTRL)
    # Done when the results hold a run's summary and the button is enabled again.
    wait_for("the results of %r" % statements,
             lambda: d.js("return document.querySelector('#results .summary') !== null && "
                          "!document.getElementById('run').disabled;"))


def hits_table(d):
    """The rendered table.hits: header texts and each row's cell texts, read through WebDriver."""
    table = d.find("#results table.hits")
    header = [d.text(th) for th in d.finds("thead th", table)]
    rows = [[d.text(td) for td in d.finds("td", tr)] for tr in d.finds("tbody tr", table)]
    return header, rows


def main(work):
    server = Server(os.path.join(work, "db"))
    driver = None
    try:
        words = ["apple", "apply", "maple", "banana"]
        script = "create collection words dim 2048; " + "; ".join('put words %s text("%s")' % (w, w) for w in words)
        status, answer = server.statements(script)
        check(status == 200 and answer == [{"ok": True}] * 5, "loading the rows: %d %r" % (status, answer))
        query = 'search words text("appel") k 3'
        status, answer = server.statements(query)
        check(status == 200 and len(answer) == 1 and len(answer[0]) == 3, "the expected hits: %d %r" % (status, answer))
        expected = answer[0]
        status, body = http("POST", server.url + "/v1/collections/words/search",
                            json.dumps({"expression": 'text("appel")', "k": 3}).encode(),
                            {"Content-Type": "application/json"})
        check(status == 200, "the search route: %d %r" % (status, body))
        stats = json.loads(body)["stats"]

        # The page itself: nothing from elsewhere.
        status, page = http("GET", server.url + "/")
        check(status == 200, "GET /: %d" % status)
        html = page.decode().replace('"http://www.w3.org/2000/svg"', '""')  # a namespace name, not fetched
        check("http://" not in html and "https://" not in html, "the page names an external URL")

        driver = WebDriver(os.path.join(work, "profile"))
        d = driver
        d.open(server.url + "/")
        check(d.s("/title", method="GET") == "hvdb console", "the page's title")
        wait_for("the collections list", lambda: "words" in d.text(d.find("#collections")))

        # A search, typed and run with the button.
        run_in_console(d, query)
        wait_for("table.hits rows", lambda: d.finds("#results table.hits tbody tr"))
        header, rows = hits_table(d)
        header = [h.lower() for h in header]  # as shown: the page may set them in capitals
        check(header[:4] == ["#", "key", "distance", "similarity"], "hits header %r" % header)
        check(len(header) > 4 and header[4].startswith("z"), "a z-score column: %r" % header)
        check(len(rows) == len(expected), "%d rows rendered, %d hits expected: %r" % (len(rows), len(expected), rows))
        sigma = math.sqrt(2048) / 2
        for i, (row, hit) in enumerate(zip(rows, expected)):
            check(row[1] == hit["key"], "row %d: key %r, expected %r (rows %r)" % (i + 1, row[1], hit["key"], rows))
            check(row[2] == str(hit["distance"]), "row %d: distance %r, expected %d" % (i + 1, row[2], hit["distance"]))
            check(abs(float(row[3]) - hit["similarity"]) < 5e-4, "row %d: similarity %r vs %r" % (i + 1, row[3], hit))
            z = (1024 - hit["distance"]) / sigma
            check(abs(float(row[4]) - z) < 0.051, "row %d: z %r, expected %.2f" % (i + 1, row[4], z))
        nearest = expected[0]["key"]
        check(rows[0][1] == nearest, "the first hit is %r, the nearest is %r" % (rows[0][1], nearest))

        # The plan and timings: as the search route reports them.
        plan = wait_for("#plan to show the device", lambda: (lambda t: "device" in t and t)(d.text(d.find("#plan"))))
        for field in ("device", "kernel", "index"):
            check(str(stats[field]) in plan, "#plan lacks the %s %r: %r" % (field, stats[field], plan))
        check("rows scanned" in plan and "4" in plan, "#plan lacks the rows scanned: %r" % plan)
        check("time" in plan and ("µs" in plan or "ms" in plan or " s" in plan), "#plan lacks the time: %r" % plan)

        # The plot: the chance curve, D/2 and ±3 sigma, one marker a hit.
        drawn = d.js("const p = document.querySelector('#plot svg'); if (!p) return null; return {"
                     "circles: p.querySelectorAll('circle.hit').length, paths: p.querySelectorAll('path').length,"
                     "lines: p.querySelectorAll('line').length, text: p.textContent,"
                     "width: p.getBoundingClientRect().width, height: p.getBoundingClientRect().height};")
        check(drawn is not None, "no svg in #plot")
        check(drawn["circles"] == len(expected), "plot: %d hit markers for %d hits" % (drawn["circles"], len(expected)))
        check(drawn["paths"] >= 1 and drawn["lines"] >= 3, "plot: no curve or lines: %r" % drawn)
        check("D/2" in drawn["text"] and "3σ" in drawn["text"], "plot: D/2 and 3σ unmarked: %r" % drawn["text"])
        check(nearest in drawn["text"], "plot: the nearest hit %r is not labelled" % nearest)
        check(drawn["width"] > 200 and drawn["height"] > 80, "plot: drawn at %r" % drawn)
        if os.environ.get("HVDB_CONSOLE_SCREENSHOT"):
            d.screenshot(os.environ["HVDB_CONSOLE_SCREENSHOT"])

        # Nothing was fetched from another origin.
        names = d.js("return performance.getEntries().map(e => e.name).filter(n => /^[a-z]+:/.test(n));")
        foreign = [n for n in names if not n.startswith(server.url + "/")]
        check(not foreign, "the page fetched from elsewhere: %r" % foreign)

        # Ctrl+Enter runs; a count answers as a key/value table.
        run_in_console(d, "count words", click=False)
        text = d.text(d.find("#results"))
        check("count" in text and "4" in text, "count words (Ctrl+Enter): %r" % text)

        # The history: Up brings back the last statements, then the ones before.
        editor = d.find("#editor")
        d.clear(editor)
        d.type(editor, UP)
        check(d.js("return document.getElementById('editor').value;") == "count words", "history: first Up")
        d.type(editor, UP)
        check(d.js("return document.getElementById('editor').value;") == query, "history: second Up")
        stored = d.js("return JSON.parse(localStorage.getItem('hvdb.console.history'));")
        check(stored[-2:] == [query, "count words"], "history in localStorage: %r" % stored)

        # An error is shown as one, naming the problem.
        run_in_console(d, "search nope random(1)")
        errors = d.finds("#results .error")
        check(errors, "no .error for a missing collection: %r" % d.text(d.find("#results")))
        message = d.text(errors[0])
        check("nope" in message, "the error does not name the collection: %r" % message)
        check(not d.finds("#results table.hits"), "an error rendered hits")

        # Statements on separate lines, a key that looks like HTML: text, never markup.
        evil = "<img src=x onerror=\"window.pwned=1\"><b>bold</b>"
        run_in_console(d, "create collection tags dim 256\nput tags \"%s\" text(\"x\")\nsearch tags text(\"x\") k 1"
                       % evil.replace('"', '\\"'))
        wait_for("the tags search", lambda: d.finds("#results table.hits tbody tr"))
        _, rows = hits_table(d)
        check(rows and rows[0][1] == evil, "an HTML-like key is not shown as its text: %r" % rows)
        check(d.js("return window.pwned === undefined && !document.querySelector('#results img, #results b');"),
              "a key was rendered as markup")
        sections = d.finds("#results section.result")
        check(len(sections) == 3, "three statements on three lines gave %d results" % len(sections))

        # A search of a variable set by the same request still has its plan;
        # a statement over several lines is one statement.
        run_in_console(d, ".dim 2048\nlet q = bundle(\n  text(\"appel\"),\n  text(\"apple\"))\nsearch words q k 2")
        plan = wait_for("#plan after let", lambda: (lambda t: "rows scanned" in t and t)(d.text(d.find("#plan"))))
        check("statement time" in plan, "#plan after let: %r" % plan)
        check(len(d.finds("#results section.result")) == 3, "a statement over three lines was split")

        # A server that wants a token: refused without it, answered with it.
        driver.close()
        driver = None
        token = "console-test-token-0123456789"
        with open(os.path.join(work, "tokens"), "w") as f:
            f.write(token + " read-write\n")
        guarded = Server(os.path.join(work, "db2"), "--auth-token-file", os.path.join(work, "tokens"))
        try:
            driver = WebDriver(os.path.join(work, "profile2"))
            d = driver
            d.open(guarded.url + "/")
            run_in_console(d, "collections")
            check(d.finds("#results .error"), "no error without a token: %r" % d.text(d.find("#results")))
            field = d.find("#token")
            d.type(field, token)  # kept when the field loses the focus
            run_in_console(d, "create collection guarded dim 64; count guarded")
            text = d.text(d.find("#results"))
            check(not d.finds("#results .error") and "count" in text, "with the token: %r" % text)
            check(d.js("return sessionStorage.getItem('hvdb.console.token');") == token, "the token in sessionStorage")
            check(d.js("return localStorage.getItem('hvdb.console.token');") is None, "the token leaked to localStorage")
            wait_for("the guarded collection listed", lambda: "guarded" in d.text(d.find("#collections")))
        finally:
            if driver:
                driver.close()
                driver = None
            guarded.stop()
    except Failure:
        if driver:
            try:
                shot = os.path.join(tempfile.gettempdir(), "hvdb-console-failure.png")
                driver.screenshot(shot)
                print("screenshot of the failure: " + shot)
            except Exception:  # noqa: BLE001 - the failure itself is what matters
                pass
        raise
    finally:
        if driver:
            driver.close()
        try:
            server.stop()
        except Failure as e:
            if sys.exc_info()[0] is None:
                raise
            print("also: %s" % e)


work = tempfile.mkdtemp(prefix="hvdb-console-")
try:
    main(work)
except Failure as e:
    print("FAIL: %s" % e)
    sys.exit(1)
finally:
    shutil.rmtree(work, ignore_errors=True)
print("console: ok")

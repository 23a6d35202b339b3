#!/usr/bin/env python3
"""hvdb serve's HTTP/1.1 conformance (docs/server.md): keep-alive, pipelined
requests answered in order, chunked bodies, HTTP/1.0 closing, the status of
every malformed or oversized request (400, 404, 405 with Allow, 413, 431),
/metrics in Prometheus' text format, and docs/openapi.json against the
server: every documented operation answers with a documented status and a
body that matches the documented schema, every undocumented method of a
documented path is 405 naming the documented ones, and the document the
server serves is the one in docs/."""
import http.client, json, os, re, socket, subprocess, sys, tempfile

import serving

hvdb = sys.argv[1]
openapi_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "openapi.json")
work = tempfile.mkdtemp()
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message, file=sys.stderr)


server = serving.Server(hvdb, os.path.join(work, "db"), "--max-request", "65536", lines=False)
port = server.http_port


def request(method, path, body=None, headers=None):
    return server.request(method, path, body, headers=headers)


def raw_exchange(payload, expect):
    """Sends bytes on one connection; reads until `expect` responses came or the server closed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(payload)
    data = b""
    responses = []
    while len(responses) < expect:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        responses = split_responses(data)
    s.close()
    return responses


def until_closed(payload):
    """Sends bytes on one connection; everything the server sends until it closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(payload)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def split_responses(data):
    """(status, headers, body) for each whole response in data (Content-Length framed)."""
    out = []
    while True:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return out
        head = data[:end].decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in head[1:])}
        length = int(headers.get("content-length", "0"))
        if len(data) < end + 4 + length:
            return out
        out.append((status, headers, data[end + 4:end + 4 + length]))
        data = data[end + 4 + length:]


# ---- Connections: keep-alive, pipelining, chunked bodies, HTTP/1.0.
check(request("POST", "/v1/collections", {"name": "c", "dim": 64})[0].status == 201, "create c")
# A name that exists: 409 and hvdb's code, from the route and from a statement alike.
r, data = request("POST", "/v1/collections", {"name": "c", "dim": 64})
check(r.status == 409 and json.loads(data).get("code") == "AlreadyExists", "create c again: %d %r" % (r.status, data))
r, data = request("POST", "/v1/statements", "create collection c dim 64")
check(r.status == 409 and "already exists" in data.decode(), "create c again, a statement: %d %r" % (r.status, data))
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for i in range(5):
    conn.request("PUT", "/v1/collections/c/vectors/k%d" % i, body=json.dumps({"hex": "%016x" % (i + 1)}),
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    check(r.status == 200, "keep-alive PUT %d: %d" % (i, r.status))
    if i == 0:
        first_socket = conn.sock
    check(conn.sock is first_socket and conn.sock is not None, "keep-alive: request %d used a new connection" % i)
conn.close()

pipelined = (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
             b"GET /v1/collections/c/vectors/k3 HTTP/1.1\r\nHost: x\r\n\r\n"
             b"POST /v1/statements HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\ncount c"
             b"GET /v1/collections/c/vectors/nothere HTTP/1.1\r\nHost: x\r\n\r\n")
answers = raw_exchange(pipelined, 4)
check([a[0] for a in answers] == [200, 200, 200, 404], "pipelined statuses: %r" % [a[0] for a in answers])
if len(answers) == 4:
    check(json.loads(answers[1][2]).get("key") == "k3", "pipelined answer 2 out of order: %r" % answers[1][2])
    check(json.loads(answers[2][2]) == [{"count": 5}], "pipelined answer 3: %r" % answers[2][2])

chunked = (b"POST /v1/statements HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"3\r\ncou\r\n4\r\nnt c\r\n0\r\n\r\n")
answers = raw_exchange(chunked, 1)
check(len(answers) == 1 and answers[0][0] == 200 and json.loads(answers[0][2]) == [{"count": 5}],
      "chunked body: %r" % answers)

data = until_closed(b"GET /healthz HTTP/1.0\r\n\r\n")
check(data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200"), "HTTP/1.0: %r" % data[:40])

# The same with curl, as a user would: two URLs on one connection, a chunked
# upload, a method the route does not have.
base = "http://127.0.0.1:%d" % port
out = subprocess.run(["curl", "-sv", base + "/healthz", base + "/v1/collections/c"], capture_output=True, text=True,
                     timeout=60)
check(out.returncode == 0 and "Re-using existing connection" in out.stderr and '"count":5' in out.stdout,
      "curl keep-alive: %r" % (out.stderr[-500:]))
out = subprocess.run(["curl", "-s", "-H", "Transfer-Encoding: chunked", "-H", "Content-Type: text/plain",
                      "--data-binary", "@-", base + "/v1/statements"], input="count c\nsearch c c[\"k2\"] k 1\n",
                     capture_output=True, text=True, timeout=60)
check(out.returncode == 0 and json.loads(out.stdout)[0] == {"count": 5} and
      json.loads(out.stdout)[1][0]["key"] == "k2", "curl chunked: %r" % out.stdout)
# A script is read as the shell reads one: a statement goes on over lines
# while a bracket is open, a dot-command ends at its line, ';' separates.
r, data = request("POST", "/v1/statements", '.dim 64\nlet q = bundle(\n  c["k1"],\n  c["k2"],\n  c["k3"])\n'
                  'count c; count c\nsearch c q k 1', headers={"Content-Type": "text/plain"})
answers = json.loads(data)
check(r.status == 200 and len(answers) == 5 and answers[2:4] == [{"count": 5}, {"count": 5}] and
      len(answers[4]) == 1, "a script over lines: %d %r" % (r.status, answers))
out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH", base + "/v1/collections"],
                     capture_output=True, text=True, timeout=60)
check(out.stdout == "405", "curl PATCH: %r" % out.stdout)

# HEAD: GET's status and headers, no body; the connection goes on.
# (split_responses frames by Content-Length, which HEAD answers give without a body: read them by hand)
data = until_closed(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /v1/statements HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
heads = data.split(b"HTTP/1.1 ")[1:]
check(len(heads) == 3 and heads[0].startswith(b"200") and heads[0].endswith(b"\r\n\r\n") and
      b"Content-Length: 15" in heads[0], "HEAD /healthz: %r" % data)
check(len(heads) == 3 and heads[1].startswith(b"405") and heads[1].endswith(b"\r\n\r\n"), "HEAD of a POST route: %r" % data)
check(len(heads) == 3 and heads[2].startswith(b"200") and heads[2].endswith(b'{"status":"ok"}'), "GET after HEAD: %r" % data)

# ---- Malformed and oversized requests: the status that says why, then the server goes on.
answers = raw_exchange(b"NOT A REQUEST\r\n\r\n", 1)
check(answers and answers[0][0] == 400, "garbage request line: %r" % answers)
answers = raw_exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 1)
check(answers and answers[0][0] == 431, "20 KB of headers: %r" % answers)
r, data = request("POST", "/v1/statements", "count c\n" * 10000, headers={"Content-Type": "text/plain"})
check(r.status == 413 and "65536" in json.loads(data).get("error", ""), "body over --max-request: %d %r" %
      (r.status, data[:200]))
answers = raw_exchange(b"POST /v1/statements HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 1)
check(answers and answers[0][0] in (400, 413), "absurd Content-Length: %r" % answers)
for path in ("/v2/nothing", "/v1/collections/c/nowhere-1", "/v1/collections/c/vectors/k1/deeper", "/v1/nothing"):
    r, data = request("GET", path)
    check(r.status == 404 and json.loads(data).get("code") == "NotFound", "unknown path %s: %d %r" % (path, r.status,
                                                                                                     data))
r, data = request("GET", "/metrics")
check(b"nowhere" not in data and b"deeper" not in data, "a client's path became a metrics label")
r, data = request("POST", "/v1/collections", "{not json")
check(r.status == 400 and "error" in json.loads(data), "bad JSON: %d %r" % (r.status, data))
for body, name in [({"vector": {"hex": "0000000000000003"}, "exact": "yes"}, "exact"),
                   ({"vector": {"hex": "0000000000000003"}, "device": 5}, "device"),
                   ({"expression": 5}, "expression"), ({"vector": {"hex": "0000000000000003"}, "k": -1}, "k")]:
    r, data = request("POST", "/v1/collections/c/search", body)
    check(r.status == 400 and name in json.loads(data).get("error", ""), "search with a bad %s: %d %r" %
          (name, r.status, data))
# curl -d '{"statements": ...}' (a form content type): read as JSON, as it looks.
out = subprocess.run(["curl", "-s", "-d", '{"statements": "count c", "details": true}', base + "/v1/statements"],
                     capture_output=True, text=True, timeout=60)
check(json.loads(out.stdout or "{}").get("results", [{}])[0].get("answer") == {"count": 5}, "curl -d JSON: %r" %
      out.stdout)
r, data = request("POST", "/v1/collections", {"name": "d", "dim": "sixty-four"})
check(r.status == 400 and "dim" in json.loads(data).get("error", ""), "dim of the wrong type: %d %r" % (r.status, data))
check(request("GET", "/healthz")[0].status == 200, "the server answers after the bad requests")

# ---- /metrics: Prometheus' text format, the documented families.
r, data = request("GET", "/metrics")
text = data.decode()
check(r.status == 200 and r.getheader("Content-Type", "").startswith("text/plain"), "/metrics: %d" % r.status)
families = set(re.findall(r"^# TYPE (\w+) (?:counter|gauge|histogram)$", text, re.M))
for name in ["hvdb_requests_total", "hvdb_request_seconds", "hvdb_statements_total", "hvdb_rows_scanned_total",
             "hvdb_open_connections", "hvdb_collections", "hvdb_rows", "hvdb_cache_bytes", "hvdb_gpu_bytes"]:
    check(name in families, "/metrics lacks %s" % name)
sample = re.compile(r'^[a-z_]+(\{([a-z_]+="[^"\\\n]*",?)*\})? [0-9.e+-]+$|^[a-z_]+(\{.*\})? \+Inf$')
for row in text.splitlines():
    if row and not row.startswith("#"):
        check(sample.match(row) is not None, "/metrics line not in the text format: %r" % row)
check(re.search(r'^hvdb_rows 5$', text, re.M) is not None, "/metrics hvdb_rows is not 5")
check(re.search(r'^hvdb_requests_total\{protocol="http",route="/v1/collections/\{name\}/vectors/\{key\}",'
                r'status="200"\} [1-9]', text, re.M) is not None, "/metrics counts requests by route pattern")

# ---- docs/openapi.json against the server.
with open(openapi_file) as f:
    document = json.load(f)
r, served = request("GET", "/openapi.json")
check(r.status == 200 and json.loads(served) == document, "/openapi.json is not docs/openapi.json")
schemas = document["components"]["schemas"]


def conforms(value, schema, where):
    """Problems with value against a JSON schema (the subset docs/openapi.json uses)."""
    if "$ref" in schema:
        return conforms(value, schemas[schema["$ref"].split("/")[-1]], where)
    problems = []
    if "oneOf" in schema:
        matches = [branch for branch in schema["oneOf"] if not conforms(value, branch, where)]
        if len(matches) != 1:
            problems.append("%s: %r matches %d of the oneOf schemas" % (where, value, len(matches)))
    for part in schema.get("allOf", []):
        problems += conforms(value, part, where)
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        problems.append("%s: %r is not an integer" % (where, value))
    elif kind == "number" and not isinstance(value, (int, float)):
        problems.append("%s: %r is not a number" % (where, value))
    elif kind in types and not isinstance(value, types[kind]):
        problems.append("%s: %r is not a %s" % (where, value, kind))
    if "enum" in schema and value not in schema["enum"]:
        problems.append("%s: %r not in %r" % (where, value, schema["enum"]))
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                problems.append("%s: lacks %s" % (where, name))
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems += conforms(value[name], sub, where + "." + name)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += conforms(item, schema["items"], "%s[%d]" % (where, i))
    return problems


# A request for each documented operation that should succeed; the
# collection deleted is its own.
check(request("POST", "/v1/collections", {"name": "gone", "dim": 64})[0].status == 201, "create gone")
succeed = {
    ("get", "/"): None, ("get", "/healthz"): None, ("get", "/openapi.json"): None, ("get", "/metrics"): None,
    ("post", "/v1/statements"): "count c",
    ("get", "/v1/collections"): None,
    ("post", "/v1/collections"): {"name": "e", "dim": 128, "index": {"kind": "hnsw", "m": 8}},
    ("get", "/v1/collections/{name}"): None,
    ("delete", "/v1/collections/{name}"): None,
    ("post", "/v1/collections/{name}/vectors"): {"vectors": [{"key": "b1", "hex": "00000000000000ff"},
                                                           {"key_base64": "AAE=", "base64": "AQIDBAUGBwg="}]},
    ("get", "/v1/collections/{name}/vectors/{key}"): None,
    ("put", "/v1/collections/{name}/vectors/{key}"): {"hex": "000000000000000f"},
    ("delete", "/v1/collections/{name}/vectors/{key}"): None,
    ("post", "/v1/collections/{name}/search"): {"vector": {"hex": "0000000000000003"}, "k": 2},
}
methods = ["get", "post", "put", "delete", "patch"]
for path, item in document["paths"].items():
    documented = [m for m in methods if m in item]
    for method in documented:
        check((method, path) in succeed, "the test has no request for %s %s" % (method.upper(), path))
        name = "gone" if method == "delete" and path == "/v1/collections/{name}" else "c"
        key = "k9" if method in ("put", "delete") else "k1"
        url = path.replace("{name}", name).replace("{key}", key)
        body = succeed.get((method, path))
        headers = {"Content-Type": "text/plain"} if isinstance(body, str) else {}
        r, data = request(method.upper(), url, body, headers)
        responses = item[method]["responses"]
        where = "%s %s" % (method.upper(), url)
        check(200 <= r.status < 300, "%s: %d %r" % (where, r.status, data[:300]))
        check(str(r.status) in responses, "%s answered %d, not among its documented %s" % (where, r.status,
                                                                                            sorted(responses)))
        content = responses.get(str(r.status), {}).get("content", {})
        mime = r.getheader("Content-Type", "").split(";")[0]
        check(mime in content, "%s: Content-Type %s, documented %s" % (where, mime, sorted(content)))
        if mime == "application/json" and mime in content:
            for problem in conforms(json.loads(data), content[mime]["schema"], where):
                check(False, problem)
    # Every other method: 405 with Allow naming what is documented.
    url = path.replace("{name}", "c").replace("{key}", "k1")
    for method in methods:
        if method in documented:
            continue
        r, data = request(method.upper(), url, "{}" if method != "get" else None)
        allow = sorted(a.strip().lower() for a in r.getheader("Allow", "").split(","))
        expected = sorted(documented + (["head"] if "get" in documented else []))
        check(r.status == 405 and allow == expected, "%s %s: %d Allow %r, documented %r" %
              (method.upper(), url, r.status, allow, documented))
        check("code" in json.loads(data), "%s %s: the 405 has no code" % (method.upper(), url))
# /v1/statements: each status with the body its documented schema says, in both forms.
statements_doc = document["paths"]["/v1/statements"]["post"]["responses"]
for body, headers in [("count c\ncount nope\ncount c", {"Content-Type": "text/plain"}),
                      ({"statements": "count c\ncount nope\ncount c", "details": True}, {}),
                      ({"statements": "count c\nsearch c random(", "details": True}, {}),
                      ({"statements": "count c", "details": "yes"}, {}),
                      ({"statements": "count c\nsearch c c[\"k1\"] k 2", "details": True}, {})]:
    r, data = request("POST", "/v1/statements", body, headers)
    answer = json.loads(data)
    schema = statements_doc.get(str(r.status), {}).get("content", {}).get("application/json", {}).get("schema")
    check(schema is not None, "/v1/statements answered %d, undocumented" % r.status)
    for problem in conforms(answer, schema or {}, "/v1/statements %d" % r.status):
        check(False, problem)
    if isinstance(body, dict) and body.get("details") is True and "random(" not in body["statements"]:
        results = answer.get("results", [])
        check([x["statement"] for x in results][:2] == body["statements"].split("\n")[:2],
              "details: statements %r" % results)
        if "search" in body["statements"]:
            plan = results[-1].get("search", {})
            check(plan.get("collection") == "c" and plan.get("dim") == 64 and plan.get("rows") == json.loads(request("GET", "/v1/collections/c")[1])["count"] and
                  plan.get("rows_scanned", 0) >= 1 and plan.get("index") == "flat",
                  "details: the search's plan %r" % plan)
        else:
            check(r.status == 404 and len(results) == 2 and "error" in results[1]["answer"],
                  "details: the first error ends the request: %d %r" % (r.status, results))

# Error answers match the Error schema.
for method, url, body in [("GET", "/v1/collections/nothere", None), ("POST", "/v1/collections", {"dim": 64}),
                          ("POST", "/v1/collections/c/search", {"k": 3})]:
    r, data = request(method, url, body)
    check(r.status >= 400 and not conforms(json.loads(data), {"$ref": "#/components/schemas/Error"}, url),
          "%s %s error: %d %r" % (method, url, r.status, data))

check(server.stop()[0] == 0, "the server stopped with an error")
if failures:
    print("FAIL: %d checks" % len(failures))
    sys.exit(1)
print("http: ok")

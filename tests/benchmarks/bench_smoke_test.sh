#!/usr/bin/env bash
# hvdb-bench kernels on small data: the JSON lines have the promised fields,
# every kernel and FAISS agree on the distances, and bad options are refused.
set -euo pipefail
bench="$1"
out=$("$bench" kernels --n 5000 --bits 128,2048 --queries 40 --k 7 --max-batch-seconds 5)
python3 - "$out" <<'PY'
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
roofs = [l for l in lines if l["bench"] == "roof"]
kern = [l for l in lines if l["bench"] == "kernels"]
assert len(roofs) == 2, roofs
for r in roofs:
    for key in ("read_gbs_1t", "popcnt_pairs_per_s"):
        assert r[key] > 0, (key, r)
    assert r["read_gbs_2t"] > 0, r
need = ("kernel", "n", "bits", "nq", "k", "threads", "one_query_ms", "batch_qps", "pairs_per_s")
for l in kern:
    for key in need:
        assert key in l, (key, l)
    assert l["n"] == 5000 and l["k"] == 7 and l["one_query_ms"] > 0 and l["batch_qps"] > 0, l
faiss = [l for l in kern if l["kernel"] == "faiss-flat"]
assert len(faiss) == 2, faiss
assert all(l["same_distances_as_hvdb"] for l in faiss), faiss
assert {l["kernel"] for l in kern} >= {"scalar", "faiss-flat"}, kern
print("bench smoke: ok,", len(kern), "kernel lines")
PY
if "$bench" kernels --bits 100 --n 10 >/dev/null 2>&1; then echo "FAIL: --bits 100 accepted" >&2; exit 1; fi
if "$bench" kernels --kernels avx9000 --n 10 >/dev/null 2>&1; then echo "FAIL: unknown kernel accepted" >&2; exit 1; fi
if "$bench" frobnicate >/dev/null 2>&1; then echo "FAIL: unknown benchmark accepted" >&2; exit 1; fi

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
    if "avx2_lookup_pairs_per_s" in r:  # AVX2 present: both ways of counting are measured
        assert r["avx2_lookup_pairs_per_s"] > 0 and r["avx2_harley_seal_pairs_per_s"] > 0, r
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
# The database benchmarks on small data: fields present, DB equals kernel.
load=$("$bench" load --n 3000,5000 --bits 256)
query=$("$bench" query --n 4000 --bits 512 --queries 30 --k 5)
python3 - "$load" "$query" <<'PY'
import json, sys
load = [json.loads(l) for l in sys.argv[1].splitlines()]
assert [l["n"] for l in load] == [3000, 5000], load
for l in load:
    for key in ("vectors_per_s", "mb_per_s", "peak_rss_mb", "reopen_vectors_per_s", "reopen_cold_vectors_per_s",
                "roof_vectors_per_s", "roof_reopen_vectors_per_s", "faiss_write_vectors_per_s",
                "cache_overhead_vs_raw_bits_and_keys"):
        assert l[key] > 0, (key, l)
    assert l["cache_overhead_vs_raw_bits_and_keys"] < 1, l
query = [json.loads(l) for l in sys.argv[2].splitlines()]
levels = {l.get("level"): l for l in query if l["bench"] == "query"}
assert set(levels) == {"kernel", "db", "db_over_kernel", "faiss-flat"}, levels
assert levels["db_over_kernel"]["same_results_as_kernel"] is True, levels
assert levels["db"]["batch_qps"] > 0 and levels["kernel"]["one_query_ms"] > 0, levels
print("bench smoke: load and query ok")
PY
hdc=$("$bench" hdc --n 2000 --bits 128,1024 --texts 50)
python3 - "$hdc" <<'PY'
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
assert {(l["op"], l["bits"]) for l in lines} == {(op, b) for op in ("bind", "permute", "bundle", "text_trigrams")
                                                 for b in (128, 1024)}, lines
assert all(l["ops_per_s"] > 0 and l["gb_per_s"] > 0 and l["roof_read_gbs"] > 0 for l in lines), lines
print("bench smoke: hdc ok")
PY
index=$("$bench" index --n 3000 --bits 256 --queries 30 --prefix-bits 64 --candidates 1,400 --nlist 8 --nprobe 1,8 \
  --ef 16,100000 --faiss-ivf-max-n 3000 --datasets planted,clustered,text,text-edited,fashion --pass-seconds 0)
python3 - "$index" <<'PY'
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
assert {l["dataset"] for l in lines} == {"planted", "clustered", "text", "text-edited", "fashion"}, lines
assert not any("skipped" in l or "error" in l for l in lines), lines
assert {l["index"] for l in lines} == {"flat", "prefix", "ivf", "faiss-ivf", "hnsw"}, lines
for l in lines:
    assert 0 <= l["recall_at_10"] <= 1 and 0 <= l.get("recall_at_1", 1) <= 1 and l["qps"] > 0, l
# Looking at everything (c x k covering every row, every list probed, ef
# above the row count): the exact answer, recall 1.
exact = [l for l in lines if l.get("candidates") == 400 or (l["index"] == "ivf" and l["nprobe"] == 8)
         or l.get("ef") == 100000]
assert len(exact) == 15 and all(l["recall_at_10"] == 1 for l in exact), exact
# Each index's open beside the flat one (the database closed and opened again).
assert all(l["reopen_s"] > 0 for l in lines if l["index"] in ("flat", "prefix", "ivf")), lines
# Fewer lists probed scan fewer rows.
assert all(l["rows_scanned_per_query"] < l["n"] for l in lines if l["index"] == "ivf" and l["nprobe"] == 1), lines
print("bench smoke: index ok")
PY
gpu=$(HVDB_FAKE_GPU=devices=2 "$bench" gpu --n 5000 --bits 512 --batches 1,64)
python3 - "$gpu" <<'PY'
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
assert [l["what"] for l in lines] == ["roofs", "one_query", "batch", "batch", "crossover", "streaming"], lines
assert lines[0]["devices"] == 2 and lines[0]["device"] == "fake:0", lines[0]
assert all(l["device_used"] == "gpu" for l in lines if "device_used" in l), lines
assert all(l["qps"] > 0 and l["cpu_qps"] > 0 for l in lines if l["what"] == "batch"), lines
print("bench smoke: gpu (fake devices) ok")
PY
HVDB_FAKE_GPU=memory=oops "$bench" gpu --n 100 | grep -q '"skipped":"HVDB_FAKE_GPU' || { echo "FAIL: gpu bench without devices" >&2; exit 1; }
if "$bench" load --n 0 >/dev/null 2>&1; then echo "FAIL: --n 0 accepted" >&2; exit 1; fi
if "$bench" query --bits 100 --n 10 >/dev/null 2>&1; then echo "FAIL: query --bits 100 accepted" >&2; exit 1; fi
if "$bench" kernels --bits 100 --n 10 >/dev/null 2>&1; then echo "FAIL: --bits 100 accepted" >&2; exit 1; fi
if "$bench" kernels --kernels avx9000 --n 10 >/dev/null 2>&1; then echo "FAIL: unknown kernel accepted" >&2; exit 1; fi
# Refused by the flag's own check: the error names the flag (a value let
# through would fail later for another reason, or run).
for bad in -1 abc 1e9 nan inf 1x ''; do
  if err=$("$bench" index --pass-seconds "$bad" --n 100 --queries 1 2>&1 >/dev/null); then
    echo "FAIL: --pass-seconds '$bad' accepted" >&2; exit 1
  fi
  grep -q -- "--pass-seconds: '$bad' is not a number" <<<"$err" || { echo "FAIL: --pass-seconds '$bad': $err" >&2; exit 1; }
done
if "$bench" frobnicate >/dev/null 2>&1; then echo "FAIL: unknown benchmark accepted" >&2; exit 1; fi
# The server under load on small data: every figure there, no errors, the
# server stopped in time with the stalled clients still connected.
serve=$("$bench" serve --n 2000 --bits 256 --clients 8 --seconds 1 --slow 1 --stalled 1)
python3 - "$serve" <<'PY'
import json, sys
all_lines = [json.loads(l) for l in sys.argv[1].splitlines()]
embedded = [l for l in all_lines if l["what"] == "embedded"]
lines = {l["what"]: l for l in all_lines if l["what"] != "embedded"}
assert set(lines) == {"setup", "embedded_alone", "lines_alone", "http_alone", "lines", "http", "lines_slow",
                      "http_slow", "server", "summary"}, lines
assert sorted(l["threads"] for l in embedded) == [2, 8], embedded
for l in embedded + [lines[w] for w in ("embedded_alone", "lines_alone", "http_alone", "lines", "http")]:
    for key in ("requests_per_s", "p50_ms", "p99_ms", "max_ms", "search_p50_ms", "min_client_requests"):
        assert l[key] > 0, (key, l)
    assert l["requests"] > 0 and l["errors"] == 0, l
assert lines["lines"]["clients"] == 4 and lines["http"]["clients"] == 4, lines
for what in ("lines_slow", "http_slow"):
    assert lines[what]["requests"] > 0 and lines[what]["errors"] == 0 and lines[what]["p50_ms"] >= 200, lines[what]
s = lines["server"]
assert s["rss_peak_mb"] >= s["rss_start_mb"] > 0 and s["stalled_connections"] == 4 and s["server_non_200"] == 0, s
assert s["said_stopped"] is True and s["stopped_in_time"] is True and s["exit_status"] == 0, s
assert s["shutdown_s"] < s["grace_s"], s
summary = lines["summary"]
assert summary["errors"] == 0 and summary["ok"] is True, summary
assert summary["network_over_best_embedded"] > 0 and summary["lines_alone_search_p50_ms"] > 0, summary
assert summary["http_alone_outside_search_p50_ms"] > 0 and lines["http"]["server_search_p50_ms"] > 0, summary
print("bench smoke: serve ok")
PY
if "$bench" serve --clients 1 >/dev/null 2>&1; then echo "FAIL: serve --clients 1 accepted" >&2; exit 1; fi

"""hvdb's approximate indexes beside USearch's and FAISS's on the same rows
and queries, in one process: recall@10 against the exact scan, queries/s,
build seconds and index memory, one JSON line per engine and setting.

    # Fashion-MNIST as HDC codes (hvdb-bench writes the arrays):
    build/benchmarks/hvdb-bench index --datasets fashion --n 60000 --queries 1000 --bits 10048 \\
        --save-datasets /tmp/sets
    .venv/bin/python benchmarks/python/index_peers.py --name fashion \\
        --rows /tmp/sets/fashion-10048-rows.npy --queries /tmp/sets/fashion-10048-queries.npy
    # WordNet's glosses through all-MiniLM-L6-v2, sign bits (benchmarks/python/minilm.py):
    .venv/bin/python benchmarks/python/index_peers.py --minilm --cache ~/.cache/hvdb-bench
    # The same codes for hvdb-bench index (hvdb alone, from C++):
    .venv/bin/python benchmarks/python/index_peers.py --minilm --save-codes /tmp/sets
    build/benchmarks/hvdb-bench index --datasets '' --rows /tmp/sets/minilm-384-rows.npy \\
        --query-file /tmp/sets/minilm-384-queries.npy --nlist 0 --nprobe 16,24,32,64 --prefix-bits 4096

PYTHONPATH must reach the hvdb package (build/python after `make build`).

Engines, each over its knob: hvdb ivf (nprobe) and hnsw (ef; M 16, one
graph per --ef-construction), FAISS IndexBinaryIVF (nprobe; same nlist) and
IndexBinaryHNSW (ef; M 16, same efConstruction), USearch HNSW over b1x8
(expansion_search; connectivity 16, expansion_add 128, its default).
Every engine searches on --threads threads (all cores by default); hvdb's
index builds use every core whatever --threads says.

recall@10: per query, the hits whose distance (recomputed from the row) is
within the exact 10th distance (so a tied row counts as well as another), at
most 10, over 10. memory_bytes says what it counts in memory_kind.
With --minilm also recall against the float cosine top 10: of the index's
10 hits as they are, and after rescoring its top --rescore candidates with
the float embeddings (the binary-quantization workflow).
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

import hvdb

K = 10
# What each engine's memory_bytes is: none reports the same thing.
HVDB_MEMORY = "CollectionStats.index_bytes (the index and the row copies it keeps; not the collection's rows)"
FAISS_MEMORY = "serialize_index_binary's length (rows and index)"


def emit(**fields):
    print(json.dumps(fields), flush=True)


def best_of(fn, passes=3, min_seconds=0.5):
    """(result of the first pass, the fastest pass's seconds): 3 passes at
    least, and 0.5 s, as hvdb-bench times them."""
    out, best, total, done = None, float("inf"), 0.0, 0
    while done < passes or (total < min_seconds and done < 100):
        start = time.perf_counter()
        got = fn()
        took = time.perf_counter() - start
        out = got if out is None else out
        best, total, done = min(best, took), total + took, done + 1
    return out, best


def recall_binary(ids, kth, rows, queries):
    """Share of the K hits within the exact K-th distance `kth` (per query),
    each hit's distance recomputed from its row: an engine's own distances
    and empty-slot values are not trusted; an id out of range is a miss and a
    repeated one counts once."""
    hits = 0
    for q in range(len(ids)):
        found = ids[q, :K]
        found = np.unique(found[(found >= 0) & (found < len(rows))])
        distances = np.unpackbits(rows[found] ^ queries[q], axis=1).sum(axis=1)
        hits += min(int((distances <= kth[q]).sum()), K)
    return hits / (K * len(ids))


def recall_ids(ids, truth_ids):
    return float(np.mean([len(set(a[:K]) & set(b)) / K for a, b in zip(ids, truth_ids)]))


def float_top(floats, float_queries, chunk=100):
    """Each query's K rows of largest dot product (cosine: unit rows), best
    first, a chunk of queries at a time."""
    out = np.empty((len(float_queries), K), dtype=np.int64)
    for start in range(0, len(float_queries), chunk):
        sims = float_queries[start:start + chunk] @ floats.T
        top = np.argpartition(-sims, K, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
        out[start:start + chunk] = np.take_along_axis(top, order, axis=1)
    return out


def minilm_set(args):
    """(rows, queries, float rows, float queries): WordNet glosses through
    all-MiniLM-L6-v2, encoded once and kept in --cache."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import minilm

    cache = os.path.join(os.path.expanduser(args.cache), "wordnet-glosses-all-MiniLM-L6-v2.npy")
    texts = minilm.wordnet_glosses()
    embeddings = np.load(cache) if os.path.exists(cache) else None
    if embeddings is None or embeddings.shape != (len(texts), 384):  # none yet, or of other texts
        start = time.perf_counter()
        embeddings = minilm.MiniLM().encode(
            texts, progress=lambda done, n: print(f"minilm: {done}/{n}", file=sys.stderr) if done % 8192 < 64 else None)
        emit(bench="index_peers", op="encode", dataset="minilm", texts=len(texts),
             seconds=time.perf_counter() - start)
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        np.save(cache, embeddings)
    order = np.random.default_rng(7).permutation(len(embeddings))  # queries held out at random
    held, kept = order[:args.nq], order[args.nq:]
    floats, float_queries = embeddings[kept], embeddings[held]
    return minilm.binarize(floats), minilm.binarize(float_queries), floats, float_queries


class HvdbEngine:
    def __init__(self, rows, threads):
        self.dir = tempfile.mkdtemp(prefix="hvdb-index-peers-")
        self.db = hvdb.open(self.dir, sync=False)
        self.col = self.db.create_collection("rows", dim=rows.shape[1] * 8, keys=int)
        self.col.bulk_load(rows, keys=np.arange(len(rows)))  # key = row number
        self.threads = threads

    def search(self, queries, k, **knob):
        r = self.col.search(queries, k=k, threads=self.threads, **knob)
        return r.distances.astype(np.int64), np.asarray(r.keys, dtype=np.int64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", help=".npy of packed uint8 rows")
    parser.add_argument("--queries", help=".npy of packed uint8 queries")
    parser.add_argument("--name", default="npy", help="the dataset's name in the output")
    parser.add_argument("--minilm", action="store_true", help="WordNet glosses through all-MiniLM-L6-v2 (384 bits)")
    parser.add_argument("--nq", type=int, default=1000, help="--minilm: glosses held out as queries")
    parser.add_argument("--cache", default="~/.cache/hvdb-bench", help="--minilm: where the embeddings are kept")
    parser.add_argument("--rescore", type=int, default=100, help="--minilm: candidates rescored in float")
    parser.add_argument("--save-codes", metavar="DIR",
                        help="write the binary rows and queries to DIR/<name>-<bits>-{rows,queries}.npy and measure nothing")
    parser.add_argument("--nlist", type=int, default=256,
                        help="ivf lists (hvdb and FAISS); 0: hvdb chooses them from the data, FAISS is left out")
    parser.add_argument("--nprobe", default="1,2,4,8,16,32,64")
    parser.add_argument("--ef", default="16,32,64,128,256,512")
    parser.add_argument("--ef-construction", default="40,128", help="hnsw graphs built (hvdb's and FAISS's), one per depth")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--skip", default="", help="engines to leave out: hvdb-ivf,hvdb-hnsw,faiss-ivf,faiss-hnsw,usearch")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    nprobes = [int(v) for v in args.nprobe.split(",") if v]
    efs = [int(v) for v in args.ef.split(",") if v]
    efcs = [int(v) for v in args.ef_construction.split(",") if v]

    floats = float_queries = None
    if args.minilm:
        rows, queries, floats, float_queries = minilm_set(args)
        name = "minilm"
    elif args.rows and args.queries:
        rows, queries, name = np.load(args.rows), np.load(args.queries), args.name
    else:
        parser.error("give --rows and --queries, or --minilm")
    rows, queries = np.ascontiguousarray(rows, dtype=np.uint8), np.ascontiguousarray(queries, dtype=np.uint8)
    n, bits, nq = len(rows), rows.shape[1] * 8, len(queries)
    if args.save_codes:
        os.makedirs(args.save_codes, exist_ok=True)
        stem = os.path.join(args.save_codes, f"{name}-{bits}")
        np.save(stem + "-rows.npy", rows)
        np.save(stem + "-queries.npy", queries)
        emit(bench="index_peers", dataset=name, n=n, bits=bits, queries=nq, saved=stem + "-{rows,queries}.npy")
        return
    common = dict(bench="index_peers", dataset=name, n=n, bits=bits, queries=nq, threads=args.threads)

    engine = HvdbEngine(rows, args.threads)
    (exact_d, exact_ids), flat_s = best_of(lambda: engine.search(queries, K, exact=True))
    flat_qps = nq / flat_s
    kth = exact_d[:, K - 1]
    emit(**common, engine="hvdb", index="flat", recall_at_10=1.0, qps=flat_qps)
    float_truth = None
    if floats is not None:
        float_truth = float_top(floats, float_queries)
        emit(**common, engine="hvdb", index="flat", truth="float", recall_at_10=recall_ids(exact_ids, float_truth),
             qps=flat_qps)
        rescored, s = best_of(lambda: rescore(engine.search(queries, args.rescore, exact=True)[1], floats,
                                              float_queries), passes=1)
        emit(**common, engine="hvdb", index="flat", truth="float", rescored=args.rescore,
             recall_at_10=recall_ids(rescored, float_truth), qps=nq / s)

    def report(engine_name, index, knob, search, build_s, memory_bytes, memory_kind):
        """Times search(queries, k) -> (distances, ids) and prints its line(s)."""
        (_, ids), s = best_of(lambda: search(queries, K))
        line = dict(**common, engine=engine_name, index=index, **knob, build_s=build_s, memory_bytes=memory_bytes,
                    memory_kind=memory_kind, recall_at_10=recall_binary(ids, kth, rows, queries), qps=nq / s,
                    qps_vs_flat=(nq / s) / flat_qps)
        emit(**line)
        if floats is not None:
            emit(**dict(line, truth="float", recall_at_10=recall_ids(ids, float_truth)))
            # The binary-quantization workflow: --rescore candidates, reordered
            # by their float embeddings; the time is the search's and the rescoring's.
            rescored, s = best_of(lambda: rescore(search(queries, args.rescore)[1], floats, float_queries), passes=1)
            rescored_line = dict(line, truth="float", rescored=args.rescore, qps=nq / s,
                                 recall_at_10=recall_ids(rescored, float_truth))
            del rescored_line["qps_vs_flat"]  # the flat line's qps is of k = 10, unrescored
            emit(**rescored_line)

    if "hvdb-ivf" not in skip:
        start = time.perf_counter()
        engine.col.set_index("ivf", ivf_nlist=args.nlist)
        build_s = time.perf_counter() - start
        memory = engine.col.stats().index_bytes
        lists = engine.col.stats().ivf_lists  # --nlist 0: the count chosen from the data
        for nprobe in nprobes:
            if nprobe <= lists:
                report("hvdb", "ivf", dict(nlist=args.nlist, lists=lists, nprobe=nprobe),
                       lambda q, k, p=nprobe: engine.search(q, k, nprobe=p), build_s, memory, HVDB_MEMORY)
    for efc in efcs if "hvdb-hnsw" not in skip else []:
        start = time.perf_counter()
        engine.col.set_index("hnsw", hnsw_m=16, hnsw_ef_construction=efc)
        build_s = time.perf_counter() - start
        memory = engine.col.stats().index_bytes
        for ef in efs:
            report("hvdb", "hnsw", dict(m=16, ef_construction=efc, ef=ef),
                   lambda q, k, e=ef: engine.search(q, k, ef=e), build_s, memory, HVDB_MEMORY)
    engine.db.close()

    if not {"faiss-ivf", "faiss-hnsw"} <= skip:
        import faiss

        faiss.omp_set_num_threads(args.threads)
        version = dict(version=faiss.__version__)

        def faiss_search(index):
            def search(q, k):
                d, ids = index.search(q, k)
                return d.astype(np.int64), ids
            return search

        if "faiss-ivf" not in skip and args.nlist > 0:
            start = time.perf_counter()
            index = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(bits), bits, args.nlist)
            index.train(rows)
            index.add(rows)
            build_s = time.perf_counter() - start
            memory = len(faiss.serialize_index_binary(index))
            for nprobe in nprobes:
                if nprobe <= args.nlist:
                    index.nprobe = nprobe
                    report("faiss", "IndexBinaryIVF", dict(nlist=args.nlist, nprobe=nprobe, **version),
                           faiss_search(index), build_s, memory, FAISS_MEMORY)
            del index
        for efc in efcs if "faiss-hnsw" not in skip else []:
            start = time.perf_counter()
            index = faiss.IndexBinaryHNSW(bits, 16)
            index.hnsw.efConstruction = efc
            index.add(rows)
            build_s = time.perf_counter() - start
            memory = len(faiss.serialize_index_binary(index))
            for ef in efs:
                index.hnsw.efSearch = ef
                report("faiss", "IndexBinaryHNSW", dict(m=16, ef_construction=efc, ef=ef, **version),
                       faiss_search(index), build_s, memory, FAISS_MEMORY)
            del index

    if "usearch" not in skip:
        import usearch
        from usearch.index import Index, MetricKind

        index = Index(ndim=bits, metric=MetricKind.Hamming, dtype="b1", connectivity=16, expansion_add=128)
        start = time.perf_counter()
        index.add(np.arange(n), rows, threads=args.threads)
        build_s = time.perf_counter() - start

        def usearch_search(q, k):
            found = index.search(q, k, threads=args.threads)
            keys = found.keys.astype(np.int64)
            keys[np.arange(k)[None, :] >= found.counts[:, None]] = -1  # slots past a query's hits are not filled
            return found.distances.astype(np.int64), keys

        for ef in efs:
            index.expansion_search = ef
            report("usearch", "HNSW-b1x8", dict(connectivity=16, expansion_add=128, ef=ef,
                                                version=usearch.VERSION if hasattr(usearch, "VERSION") else usearch.__version__),
                   usearch_search, build_s, index.memory_usage, "Index.memory_usage (rows and graph)")


def rescore(candidates, floats, float_queries):
    """The top K of each query's candidate ids (nq, R) by float dot product
    (rows are unit vectors: cosine); ids outside [0, n) (none found) are
    skipped, and come back as -1 when fewer than K remain."""
    valid = (candidates >= 0) & (candidates < len(floats))
    ids = np.where(valid, candidates, 0)
    scores = np.einsum("qrd,qd->qr", floats[ids], float_queries)
    scores[~valid] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")[:, :K]
    top = np.take_along_axis(ids, order, axis=1)
    top[~np.take_along_axis(valid, order, axis=1)] = -1
    return top


if __name__ == "__main__":
    main()

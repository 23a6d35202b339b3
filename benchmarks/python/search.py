"""hvdb from Python beside FAISS and USearch on the same arrays, in one
process: a batch of queries and one-query latency over N x D-bit rows.

    .venv/bin/python benchmarks/python/search.py [--rows 1000000] [--dim 2048] [--queries 1000]

PYTHONPATH must reach the hvdb package (build/python after `make build`, or
an installed one). One JSON line per engine and measurement, as hvdb-bench
prints them: queries/s, seconds, recall@10 against hvdb's exact scan (a hit
counts when its distance is within the true 10th distance, so ties count
once), and for hvdb the time inside the C++ call (SearchStats.seconds),
whose difference from the Python wall time is what the binding costs.

The rows are clustered (centres with 15% of their bits flipped, queries are
rows with 5% more flipped), so that an approximate index has neighbours to
find. Engines: hvdb (flat, exact), FAISS IndexBinaryFlat (exact),
USearch exact search (b1x8, brute force) and USearch HNSW (b1x8, connectivity
16, expansion_add 128, expansion_search 64 and 256).
"""
import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np

import hvdb


def clustered(rng, n, dim, centres, flip):
    out = np.empty((n, dim // 8), dtype=np.uint8)
    chunk = 16384
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        which = rng.integers(0, len(centres), size=m)
        flips = np.packbits(rng.random((m, dim), dtype=np.float32) < flip, axis=1, bitorder="little")
        out[start:start + m] = centres[which] ^ flips
    return out


def recall(found_distances, true_distances):
    """Share of the k hits within the true k-th distance."""
    kth = true_distances[:, -1:]
    return float(np.mean(found_distances <= kth))


def emit(**fields):
    print(json.dumps(fields), flush=True)


def timed(fn, repeat=1):
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - start
        best = seconds if best is None or seconds < best else best
    return out, best


def latency(fn, queries, n=30):
    times = []
    for q in queries[:n]:
        start = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def dataset_parser(description):
    """The command line of the Python benchmarks: the data set's shape and k."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    return parser


def clustered_set(args):
    """(rows, queries): rows around 1000 centres with 15% of their bits
    flipped, queries rows with 5% more flipped (the same every run)."""
    rng = np.random.default_rng(11)
    centres = rng.integers(0, 256, size=(1000, args.dim // 8), dtype=np.uint8)
    rows = clustered(rng, args.rows, args.dim, centres, 0.15)
    picked = rows[rng.integers(0, args.rows, size=args.queries)]
    queries = picked ^ np.packbits(rng.random((args.queries, args.dim), dtype=np.float32) < 0.05, axis=1,
                                   bitorder="little")
    return rows, queries


def main():
    parser = dataset_parser(__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--skip", default="", help="engines to leave out, comma-separated (faiss, usearch, hnsw)")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    rows, queries = clustered_set(args)
    k = args.k
    common = dict(rows=args.rows, dim=args.dim, queries=args.queries, k=k, threads=args.threads)
    pairs = args.rows * args.queries

    with hvdb.open(tempfile.mkdtemp(prefix="hvdb-pybench-"), sync=False) as db:
        col = db.create_collection("rows", dim=args.dim, keys=int)
        _, load_s = timed(lambda: col.bulk_load(rows))
        emit(bench="python", engine="hvdb", op="bulk_load", seconds=load_s, rows_per_s=args.rows / load_s, **common)
        col.search(queries[:8], k=k, threads=args.threads)  # warm
        runs = [timed(lambda: col.search(queries, k=k, threads=args.threads)) for _ in range(3)]
        exact, wall = min(runs, key=lambda run: run[1])
        inside = exact.stats.seconds  # of the same call
        truth = exact.distances.astype(np.int64)
        emit(bench="python", engine="hvdb", op="batch", kernel=exact.stats.kernel, seconds=wall,
             cpp_seconds=inside, binding_overhead=(wall - inside) / inside, qps=args.queries / wall,
             pairs_per_s=pairs / wall, recall=1.0, **common)
        one = [timed(lambda: col.search(q, k=k, threads=args.threads)) for q in queries[:30]]
        one_wall = statistics.median(seconds for _, seconds in one)
        one_inside = statistics.median(result.stats.seconds for result, _ in one)
        emit(bench="python", engine="hvdb", op="one_query", seconds=one_wall, cpp_seconds=one_inside,
             binding_overhead=(one_wall - one_inside) / one_inside, **common)

    if "faiss" not in skip:
        import faiss

        faiss.omp_set_num_threads(args.threads)
        index = faiss.IndexBinaryFlat(args.dim)
        _, add_s = timed(lambda: index.add(rows))
        (distances, _), wall = timed(lambda: index.search(queries, k))
        emit(bench="python", engine="faiss-IndexBinaryFlat", op="batch", seconds=wall, qps=args.queries / wall,
             pairs_per_s=pairs / wall, recall=recall(distances, truth), add_seconds=add_s,
             version=faiss.__version__, **common)
        emit(bench="python", engine="faiss-IndexBinaryFlat", op="one_query",
             seconds=latency(lambda q: index.search(q[None], k), queries), **common)
        del index

    if "usearch" not in skip:
        import usearch
        from usearch.index import Index, MetricKind, search

        matches, wall = timed(lambda: search(rows, queries, k, MetricKind.Hamming, exact=True, threads=args.threads))
        emit(bench="python", engine="usearch-exact-b1x8", op="batch", seconds=wall, qps=args.queries / wall,
             pairs_per_s=pairs / wall, recall=recall(matches.distances.astype(np.int64), truth),
             version=usearch.VERSION if hasattr(usearch, "VERSION") else usearch.__version__, **common)
        if "hnsw" not in skip:
            index = Index(ndim=args.dim, metric=MetricKind.Hamming, dtype="b1", connectivity=16,
                          expansion_add=128, expansion_search=64)
            _, build_s = timed(lambda: index.add(np.arange(args.rows), rows, threads=args.threads))
            emit(bench="python", engine="usearch-hnsw-b1x8", op="build", seconds=build_s,
                 rows_per_s=args.rows / build_s, memory_bytes=index.memory_usage, **common)
            for ef in (64, 256):
                index.expansion_search = ef
                found, wall = timed(lambda: index.search(queries, k, threads=args.threads))
                emit(bench="python", engine="usearch-hnsw-b1x8", op="batch", ef=ef, seconds=wall,
                     qps=args.queries / wall, recall=recall(found.distances.astype(np.int64), truth), **common)
                emit(bench="python", engine="usearch-hnsw-b1x8", op="one_query", ef=ef,
                     seconds=latency(lambda q: index.search(q, k), queries), **common)


if __name__ == "__main__":
    main()

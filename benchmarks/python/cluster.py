"""hvdb.cluster on a local Ray cluster beside one embedded hvdb on the same
rows: bulk load rate per shard, a batch of queries and one-query latency with
1, 2 and 4 shards, and what the fan-out and merge cost.
Bulk loads are measured both ways: rows in the driver's memory (split by
key on the driver, sent through Ray's object store) and a .npy file that
every shard memory-maps, loading the rows that route to it.

    PYTHONPATH=build/python .venv/bin/python benchmarks/python/cluster.py [--rows 1000000] [--dim 2048]

One JSON line per measurement, as hvdb-bench prints them. The rows are
benchmarks/python/search.py's clustered set. All shards run on this machine,
so they share its cores: each shard's searches use cores/shards threads, and
the figures show what the fan-out costs, not what more machines would add
(docs/scale-out.md models that). overhead_seconds is the driver's wall time
less the slowest shard's time inside hvdb: Ray's calls, moving the queries
and answers, and the merge (merge_seconds alone). Every batch answer's
distances are checked equal to the embedded hvdb's (the keys of tied rows
may differ: the embedded hvdb holds the rows in load order, a cluster in
shard order).
"""
import os
import shutil
import statistics
import tempfile

import numpy as np
import ray

import hvdb
import hvdb.cluster
from search import clustered_set, dataset_parser, emit, timed


def best_of(n, fn):
    return min((timed(fn) for _ in range(n)), key=lambda run: run[1])


def main():
    parser = dataset_parser(__doc__.splitlines()[0])
    parser.add_argument("--shards", default="1,2,4")
    args = parser.parse_args()
    cores = os.cpu_count()
    rows, queries = clustered_set(args)
    k = args.k
    common = dict(rows=args.rows, dim=args.dim, queries=args.queries, k=k, cores=cores)
    work = tempfile.mkdtemp(prefix="hvdb-clusterbench-")

    with hvdb.open(os.path.join(work, "embedded"), sync=False) as db:
        col = db.create_collection("rows", dim=args.dim, keys=int)
        _, load_s = timed(lambda: col.bulk_load(rows))
        stats = col.stats()
        emit(bench="cluster", engine="embedded", op="bulk_load", seconds=load_s,
             rows_per_s=args.rows / load_s, memory_bytes=stats.memory_bytes,
             disk_bytes=stats.disk_bytes, **common)
        col.search(queries[:8], k=k)
        truth, wall = best_of(3, lambda: col.search(queries, k=k, threads=cores))
        emit(bench="cluster", engine="embedded", op="batch", seconds=wall, qps=args.queries / wall,
             hvdb_seconds=truth.stats.seconds, kernel=truth.stats.kernel, **common)
        one = [timed(lambda: col.search(q, k=k, threads=cores)) for q in queries[:30]]
        emit(bench="cluster", engine="embedded", op="one_query",
             seconds=statistics.median(s for _, s in one), **common)
    shutil.rmtree(os.path.join(work, "embedded"))

    npy = os.path.join(work, "rows.npy")
    np.save(npy, rows)
    ray.init(num_cpus=cores, include_dashboard=False, logging_level="ERROR")
    for shards in map(int, args.shards.split(",")):
        root = os.path.join(work, f"cluster-{shards}")
        threads = max(1, cores // shards)
        with hvdb.cluster.open(root, shards=shards, sync=False, num_cpus=cores / shards) as cluster:
            col = cluster.create_collection("rows", dim=args.dim, keys=int)
            for op, source in (("bulk_load_array", rows), ("bulk_load_npy", npy)):
                target = col if op == "bulk_load_array" else cluster.create_collection(
                    "from_file", dim=args.dim, keys=int)
                loaded, load_s = timed(lambda: target.bulk_load(source))
                emit(bench="cluster", engine="hvdb.cluster", shards=shards, op=op, seconds=load_s,
                     rows_per_s=args.rows / load_s, rows_per_shard=loaded.rows_per_shard,
                     shard_seconds=loaded.shard_seconds,
                     rows_per_s_per_shard=[r / t for r, t in zip(loaded.rows_per_shard, loaded.shard_seconds)],
                     **common)
            cluster.drop_collection("from_file")
            col.search(queries[:8], k=k, threads=threads)
            result, wall = best_of(3, lambda: col.search(queries, k=k, threads=threads))
            assert np.array_equal(result.distances, truth.distances), "cluster distances differ"
            slowest = max(s["seconds"] for s in result.stats.shards)
            emit(bench="cluster", engine="hvdb.cluster", shards=shards, op="batch", seconds=wall,
                 qps=args.queries / wall, slowest_shard_seconds=slowest,
                 overhead_seconds=wall - slowest, merge_seconds=result.stats.merge_seconds,
                 overhead_share=(wall - slowest) / wall, threads_per_shard=threads, **common)
            one = [timed(lambda: col.search(q, k=k, threads=threads)) for q in queries[:30]]
            overheads = [s - max(x["seconds"] for x in r.stats.shards) for r, s in one]
            emit(bench="cluster", engine="hvdb.cluster", shards=shards, op="one_query",
                 seconds=statistics.median(s for _, s in one),
                 overhead_seconds=statistics.median(overheads),
                 merge_seconds=statistics.median(r.stats.merge_seconds for r, _ in one),
                 threads_per_shard=threads, **common)
        shutil.rmtree(root)
    ray.shutdown()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

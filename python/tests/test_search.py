"""Search from Python returns exactly what a scan by numpy finds, planted
neighbours and ties included; its stats and plan."""
import numpy as np
import pytest

import hvdb
from conftest import hamming, random_rows

DIM = 1024


def expected(rows, query, k, radius=None):
    """(row numbers, distances): distance, then insertion order."""
    d = hamming(rows, query)
    order = np.lexsort((np.arange(len(d)), d))
    if radius is not None:
        order = order[d[order] <= radius]
    if k:
        order = order[:k]
    return order, d[order]


@pytest.fixture
def planted(db, rng):
    rows = random_rows(rng, 3000, DIM)
    queries = random_rows(rng, 12, DIM)
    for i, q in enumerate(queries):
        # Neighbours at distances 1..4, and two rows tied at distance 8.
        for j, flips in enumerate([1, 2, 3, 4, 8, 8]):
            row = q.copy()
            bits = rng.choice(DIM, size=flips, replace=False)
            for b in bits:
                row[b // 8] ^= 1 << (b % 8)
            rows[100 * i + 7 * j + 3] = row
    c = db.create_collection("c", dim=DIM, keys=int)
    c.bulk_load(rows)
    return c, rows, queries


def test_batch_and_single_queries_equal_the_numpy_scan(planted):
    c, rows, queries = planted
    batch = c.search(queries, k=10, device="cpu")
    for i, q in enumerate(queries):
        order, dist = expected(rows, q, 10)
        assert list(batch.keys[i]) == list(order) and list(batch.distances[i]) == list(dist)
        one = c.search(q, k=10)
        assert list(one.keys) == list(order) and list(one.distances) == list(dist) and one.counts == 10


def test_radius_with_and_without_k(planted):
    c, rows, queries = planted
    within = c.search(queries, k=0, radius=8)
    limited = c.search(queries, k=3, radius=8)
    for i, q in enumerate(queries):
        order, dist = expected(rows, q, 0, radius=8)
        assert within.counts[i] == len(order) == 6
        assert list(within.keys[i][: within.counts[i]]) == list(order)
        assert list(limited.keys[i]) == list(order[:3])
    assert within.keys.shape == (len(queries), 6)


def test_threads_and_index_knobs_do_not_change_exact_answers(planted):
    c, rows, queries = planted
    base = c.search(queries, k=7)
    for kwargs in [dict(threads=1), dict(threads=2), dict(exact=True)]:
        other = c.search(queries, k=7, **kwargs)
        assert np.array_equal(other.keys, base.keys) and np.array_equal(other.distances, base.distances)


def test_stats_and_plan(planted):
    c, rows, queries = planted
    result = c.search(queries, k=5, device="cpu")
    s = result.stats
    assert s.queries == len(queries) and s.rows_scanned == len(rows)
    assert s.index == "flat" and s.device == "cpu" and s.kernel in hvdb.system_info()["cpu_kernels"]
    assert s.seconds > 0 and s.plan.kernel == s.kernel
    plan = c.explain(1000, k=5, device="cpu")
    assert plan.device == "cpu" and plan.index == "flat" and plan.reason


def test_bad_search_options_name_what_is_wrong(planted):
    c, rows, queries = planted
    with pytest.raises(hvdb.InvalidArgument, match="device 'tpu' is unknown"):
        c.search(queries, device="tpu")
    with pytest.raises(hvdb.InvalidArgument, match="radius -1"):
        c.search(queries, radius=-1)
    with pytest.raises(hvdb.InvalidArgument):
        c.search(queries, k=0)  # no limit needs a radius
    with pytest.raises(hvdb.InvalidArgument, match="expected 1024"):
        c.search(random_rows(np.random.default_rng(0), 2, 512))
    with pytest.raises(TypeError):
        c.search(queries, kk=3)  # a typo is a TypeError naming the signature
    if not hvdb.system_info()["search_devices"]:
        with pytest.raises(hvdb.Unavailable):
            c.search(queries, device="gpu")

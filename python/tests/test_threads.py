"""The GIL is released while hvdb works: other Python threads run during a
search, and threads searching and writing at once get the answers they
would get alone."""
import threading
import time

import numpy as np

import hvdb
from conftest import random_rows

DIM = 2048


def test_other_threads_run_while_a_search_runs(db, rng):
    c = db.create_collection("c", dim=DIM)
    c.bulk_load(random_rows(rng, 50_000, DIM))
    queries = random_rows(rng, 2000, DIM)
    c.search(queries[:10], k=10, threads=1)  # warm
    window = {}

    def search():
        window["start"] = time.perf_counter()
        c.search(queries, k=10, threads=1)
        window["end"] = time.perf_counter()

    ticks = []
    worker = threading.Thread(target=search)
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    inside = [t for t in ticks if window["start"] < t < window["end"]]
    seconds = window["end"] - window["start"]
    # Holding the GIL, the search would leave this thread no tick inside its
    # window; released, this thread ticks all through it.
    assert seconds > 0.05, f"the search took {seconds:.3f} s: too short to tell"
    assert len(inside) > 1000, f"{len(inside)} ticks during a {seconds:.3f} s search"
    assert inside[-1] - inside[0] > 0.8 * seconds


def test_threads_searching_and_writing_at_once(db, rng):
    c = db.create_collection("c", dim=DIM, keys=int)
    rows = random_rows(rng, 5000, DIM)
    c.bulk_load(rows)
    queries = rows[:40]
    alone = c.search(queries, k=5)
    errors = []

    def searcher():
        try:
            for _ in range(20):
                r = c.search(queries, k=5, threads=1)
                # Rows written meanwhile are far from these queries' planted
                # matches (random), so the nearest hit stays the row itself.
                assert list(r.keys[:, 0]) == list(alone.keys[:, 0])
        except Exception as e:  # noqa: BLE001 (reported by the main thread)
            errors.append(e)

    def writer():
        try:
            extra = random_rows(np.random.default_rng(1), 200, DIM)
            for i in range(200):
                c.put(10_000 + i, extra[i])
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=searcher) for _ in range(3)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(c) == 5200

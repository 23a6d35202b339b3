"""Regressions from the adversarial review: handles, iterators and batches
used after close or from several threads at once, and edge inputs."""
import threading

import numpy as np
import pytest

import hvdb
from conftest import random_rows

hdc = hvdb.hdc
DIM = 256


def test_every_handle_call_after_close_raises_unavailable(tmp_path, rng):
    db = hvdb.open(tmp_path / "db")
    c = db.create_collection("c", dim=DIM)
    c.put("a", random_rows(rng, 1, DIM)[0])
    it = iter(c)
    b = c.batch()
    b.put("b", random_rows(rng, 1, DIM)[0])
    db.close()
    calls = [lambda: iter(c), lambda: c.keys(), lambda: next(it), lambda: c.get("a"), lambda: c.search(
        random_rows(rng, 1, DIM)[0]), lambda: b.write(), lambda: c.stats(), lambda: db["c"], lambda: len(c)]
    for call in calls:
        with pytest.raises(hvdb.Unavailable):
            call()
    assert (c.name, c.dim) == ("c", DIM)  # fixed for life: still answer


def test_handles_taken_while_another_thread_closes(tmp_path, rng):
    for _ in range(20):
        db = hvdb.open(tmp_path / "db")
        if "c" not in db:
            db.create_collection("c", dim=DIM)
        stop = threading.Event()
        outcomes = []

        def take():
            while not stop.is_set():
                try:
                    outcomes.append(db["c"].dim)
                except hvdb.Unavailable:
                    outcomes.append("closed")
                    return

        threads = [threading.Thread(target=take) for _ in range(3)]
        for t in threads:
            t.start()
        db.close()
        stop.set()
        for t in threads:
            t.join()
        assert set(outcomes) <= {DIM, "closed"}


def test_one_iterator_shared_by_threads_yields_each_row_once(db, rng):
    c = db.create_collection("c", dim=DIM, keys=int)
    c.bulk_load(random_rows(rng, 20_000, DIM))
    it = iter(c)
    seen = [[] for _ in range(4)]

    def drain(out):
        for key, _ in it:
            out.append(key)

    threads = [threading.Thread(target=drain, args=(seen[i],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = sorted(k for part in seen for k in part)
    assert everything == list(range(20_000))
    it.close()
    with pytest.raises(hvdb.Unavailable, match="iterator was closed"):
        next(it)


def test_puts_into_a_batch_during_its_write_are_kept_for_the_next(db, rng):
    c = db.create_collection("c", dim=DIM, keys=int)
    v = random_rows(rng, 1, DIM)[0]
    b = c.batch()
    done = threading.Event()

    def writer():
        while not done.is_set():
            b.write()

    def putter(base):
        for i in range(20_000):
            b.put(base + i, v)

    w = threading.Thread(target=writer)
    putters = [threading.Thread(target=putter, args=(base,)) for base in (0, 100_000)]
    w.start()
    for t in putters:
        t.start()
    for t in putters:
        t.join()
    done.set()
    w.join()
    b.write()
    assert len(c) == 40_000 and len(b) == 0


def test_a_failed_batch_write_keeps_its_operations(db, rng):
    c = db.create_collection("c", dim=DIM)
    b = c.batch()
    b.put("", random_rows(rng, 1, DIM)[0])
    with pytest.raises(hvdb.InvalidArgument):
        b.write()
    assert len(b) == 1 and len(c) == 0


def test_edge_inputs(db, rng, tmp_path):
    rows = random_rows(rng, 4, DIM)
    assert hdc.bundle(np.zeros((0, 5, DIM // 8), np.uint8)).shape == (0, DIM // 8)
    assert np.array_equal(hdc.bind(rows[:1], rows), hdc.bind(rows, rows[0]))  # one row broadcasts either side
    assert list(hdc.distance(rows[:1], rows)) == list(hdc.distance(rows, rows[0]))
    assert hdc.text("\ud800 lone surrogate", DIM).shape == (DIM // 8,)
    assert hdc.level(np.array(0.5), DIM).shape == (DIM // 8,)  # a 0-d array is one value
    c = db.create_collection("c", dim=DIM, index="ivf", ivf_nlist=np.int64(4))
    assert c.index["ivf_nlist"] == 4
    with pytest.raises(hvdb.InvalidArgument, match="0 keys for 4 rows"):
        c.bulk_load(rows, keys=[])
    with pytest.raises(hvdb.InvalidArgument, match="where a list of keys belongs"):
        c.delete_many(bytearray(b"abc"))
    c.put_many(["a", "b", "c", "d"], rows)
    c.export(tmp_path / "rows.npy")
    copy = db.create_collection("copy", dim=DIM)
    copy.bulk_load(str(tmp_path / "rows.npy").encode(), keys_path=str(tmp_path / "rows.keys"))  # bytes: a path
    assert list(copy.keys()) == ["a", "b", "c", "d"]

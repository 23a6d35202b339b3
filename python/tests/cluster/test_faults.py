"""A shard's process killed with SIGKILL mid-run, and a shard that stops
answering: acknowledged writes survive, calls wait for the restart within the
timeout, and a search is complete, an error naming the shard, or (only when
asked) a partial answer naming what is missing."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import hvdb

DIM = 256


def test_a_killed_shard_restarts_and_keeps_every_acknowledged_write(open_cluster, rng):
    cluster = open_cluster(shards=2, sync=True)  # durable writes, as a user's
    col = cluster.create_collection("c", dim=DIM, keys=int)
    rows = rng.integers(0, 256, (4000, DIM // 8), dtype=np.uint8)
    acknowledged = []
    failures = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set() and i < len(rows):
            try:
                col.put(i, rows[i])
                acknowledged.append(i)
            except hvdb.Error as e:  # none is expected: calls wait for the restart
                failures.append(e)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    while len(acknowledged) < 200:
        time.sleep(0.01)
    victim = cluster.shard_info()[1]
    os.kill(victim["pid"], signal.SIGKILL)
    killed_at = len(acknowledged)
    # A search while the shard restarts waits for it and is complete.
    result = col.search(rows[:4], k=3)
    assert result.missing_shards == [] and result.stats.rows_scanned >= killed_at
    while len(acknowledged) < killed_at + 300:
        time.sleep(0.01)
    stop.set()
    thread.join()
    assert failures == []
    assert cluster.shard_info()[1]["pid"] != victim["pid"]  # a new process
    # Every acknowledged write is there, with its vector; nothing else is.
    keys = np.array(acknowledged, dtype=np.int64)
    assert np.array_equal(col.get_many(keys), rows[keys])
    assert len(col) == len(acknowledged)
    # Reopened from scratch, the same holds (the writes were durable).
    cluster.close()
    again = open_cluster()
    assert np.array_equal(again.collection("c", keys=int).get_many(keys), rows[keys])


def test_a_silent_shard_is_an_error_naming_it_or_a_partial_answer_on_request(open_cluster, rng, tmp_path):
    cluster = open_cluster(shards=3)
    cluster.timeout = 2.0  # for the calls below that name none (started shards answer at once)
    col = cluster.create_collection("c", dim=DIM, keys=int)
    rows = rng.integers(0, 256, (900, DIM // 8), dtype=np.uint8)
    col.bulk_load(rows)
    late = cluster.create_collection("late", dim=DIM, keys=int)
    queries = rows[:6]
    complete = col.search(queries, k=5)
    pid = cluster.shard_info()[1]["pid"]
    os.kill(pid, signal.SIGSTOP)  # the shard stops answering, as a hung node would
    try:
        started = time.monotonic()
        with pytest.raises(hvdb.Unavailable, match=r"shard 1 \(.*shard-0001\) did not answer within 2 s"):
            col.search(queries, k=5, timeout=2.0)
        assert time.monotonic() - started < 6
        partial = col.search(queries, k=5, timeout=2.0, allow_partial=True)
        assert partial.missing_shards == [1] and "shard 1" in partial.errors[1]
        assert [s["shard"] for s in partial.stats.shards] == [0, 2]
        # The partial answer is one hvdb's holding shard 0's rows, then shard 2's.
        owners = hvdb.cluster._routing.shards_of(np.arange(900, dtype=np.int64), 3)
        kept = np.concatenate([np.nonzero(owners == 0)[0], np.nonzero(owners == 2)[0]])
        with hvdb.open(tmp_path / "ref", sync=False) as db:
            reference = db.create_collection("c", dim=DIM, keys=int)
            reference.bulk_load(np.ascontiguousarray(rows[kept]), keys=kept)
            expected = reference.search(queries, k=5)
            assert np.array_equal(partial.distances, expected.distances)
            assert np.array_equal(partial.keys, expected.keys)
        # A write that times out on shard 1 is not said to be lost: Ray keeps
        # it queued, and it lands when the shard answers again.
        with pytest.raises(hvdb.Unavailable, match=r"shards \[1\] did not answer and may still write their part"):
            late.put_many(np.arange(300), rows[:300])
    finally:
        os.kill(pid, signal.SIGCONT)
    again = col.search(queries, k=5)
    assert np.array_equal(again.keys, complete.keys) and again.missing_shards == []
    assert np.array_equal(late.get_many(np.arange(300)), rows[:300])

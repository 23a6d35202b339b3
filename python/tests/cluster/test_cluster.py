"""hvdb.cluster on a local Ray cluster: routing, lifecycle, reads and writes,
search identical to one hvdb (planted neighbours and ties), bulk loads,
algebra queries, resharding, and refusals. Faults are in test_faults.py."""
import json
import os
import shutil

import numpy as np
import pytest

import hvdb
import hvdb.cluster
from hvdb.cluster import _routing
from cluster_helpers import hamming, single_hvdb_like

DIM = 256


def documented_shard(key_bytes, shards):
    """docs/scale-out.md's routing formula, written out independently."""
    h = 0xCBF29CE484222325
    for b in key_bytes:
        h = ((h ^ b) * 0x100000001B3) % 2**64
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) % 2**64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) % 2**64
    h ^= h >> 33
    return h % shards


def test_routing_is_the_documented_function_for_every_key_form(rng):
    ints = np.concatenate([[0, 1, 9, 10, 99, 100, 2**63 - 1, 10**18, 10**18 - 1],
                           rng.integers(0, 2**63 - 1, 2000, dtype=np.int64)]).astype(np.int64)
    for shards in (1, 2, 3, 7, 64):
        expected = [documented_shard(str(int(k)).encode(), shards) for k in ints]
        assert _routing.shards_of(_routing.normalize_keys(ints), shards).tolist() == expected
        words = [b"", b"a", b"\x00", b"a\x00", "pêche".encode(), bytes(rng.integers(0, 256, 40).astype(np.uint8))]
        words += [bytes(rng.integers(0, 256, int(n)).astype(np.uint8)) for n in rng.integers(0, 30, 500)]
        expected = [documented_shard(w, shards) for w in words]
        assert _routing.shards_of(_routing.normalize_keys(words), shards).tolist() == expected
        assert [hvdb.cluster.shard_of(w, shards) for w in words] == expected
    # One key in three spellings, as the binding stores them.
    assert hvdb.cluster.shard_of(17, 5) == hvdb.cluster.shard_of("17", 5) == hvdb.cluster.shard_of(b"17", 5)
    assert hvdb.cluster.shard_of(np.int64(17), 5) == hvdb.cluster.shard_of(17, 5)
    s = "caf\udce9"  # a surrogate-escaped byte, as os.fsdecode gives
    assert hvdb.cluster.shard_of(s, 9) == documented_shard(b"caf\xe9", 9)
    # Even spread: 4 shards of 40000 sequential ids, each within 3% of a quarter.
    counts = np.bincount(_routing.shards_of(np.arange(40000, dtype=np.int64), 4), minlength=4)
    assert np.all(np.abs(counts - 10000) < 300), counts
    for bad, what in ((True, "bool"), (-1, "outside"), (2**63, "outside"), (1.5, "float"), (None, "NoneType")):
        with pytest.raises(hvdb.InvalidArgument, match=what):
            hvdb.cluster.shard_of(bad, 3)
    with pytest.raises(hvdb.InvalidArgument, match="one key"):
        _routing.normalize_keys("abc")


def test_create_open_drop_and_close(open_cluster, tmp_path):
    cluster = open_cluster(shards=3)
    assert cluster.shards == 3 and cluster.collections() == []
    words = cluster.create_collection("words", dim=DIM)
    assert repr(words) == "ShardedCollection(name='words', dim=256, shards=3, keys=str)"
    cluster.create_collection("ids", dim=128, keys=int, index="ivf", ivf_nlist=4)
    assert cluster.collections() == ["ids", "words"] and "ids" in cluster
    with pytest.raises(hvdb.AlreadyExists, match="shard 0 .*words"):
        cluster.create_collection("words", dim=DIM)
    with pytest.raises(hvdb.InvalidArgument, match="keys must be str, bytes or int"):
        cluster.create_collection("x", dim=DIM, keys=float)
    with pytest.raises(hvdb.InvalidArgument):
        cluster.create_collection("bad", dim=100)  # not a multiple of 64
    assert cluster.collections() == ["ids", "words"]  # nothing left behind by the refusals
    words.put("w", np.zeros(DIM // 8, np.uint8))
    cluster.close()
    cluster.close()  # twice is fine
    with pytest.raises(hvdb.Unavailable, match="closed"):
        cluster.collections()

    # Reopened without the shard count: it is read from shard 0's identity.
    again = open_cluster()
    assert again.shards == 3 and again.cluster_id == cluster.cluster_id
    assert again["words"].get("w").tolist() == [0] * (DIM // 8)
    assert again["ids"].index["kind"] == "ivf" and again["ids"].index["ivf_nlist"] == 4
    assert again.collection("ids", keys=int).dim == 128
    again.drop_collection("ids")
    assert again.collections() == ["words"]
    with pytest.raises(hvdb.NotFound, match="ids"):
        again.drop_collection("ids")
    with pytest.raises(hvdb.NotFound, match="shard 0 .*nope"):
        again.collection("nope")
    again.close()

    with pytest.raises(hvdb.AlreadyExists, match="exists"):
        open_cluster(error_if_exists=True)
    with pytest.raises(hvdb.NotFound, match="create_if_missing=False"):
        open_cluster(name="none", shards=2, create_if_missing=False)
    assert not os.path.exists(tmp_path / "none" / "shard-0000" / "cluster.json")
    with pytest.raises(hvdb.Corruption, match="holds shard 0 of 3, expected shard 0 of 2"):
        open_cluster(shards=2)
    with pytest.raises(hvdb.InvalidArgument, match="item_memory_seed"):
        open_cluster(item_memory_seed=12345)


def test_a_missing_or_foreign_shard_is_reported_never_recreated(open_cluster, tmp_path):
    open_cluster(shards=3).close()
    open_cluster(name="other", shards=3).close()
    root = tmp_path / "cluster"

    shutil.move(root / "shard-0001", tmp_path / "saved")
    with pytest.raises(hvdb.Corruption, match=r"shards \[1\] have no data .*shard-0001"):
        open_cluster()
    assert not (root / "shard-0001").exists()  # not recreated empty

    shutil.copytree(tmp_path / "other" / "shard-0001", root / "shard-0001")
    with pytest.raises(hvdb.Corruption, match="shard 1 .*belongs to cluster"):
        open_cluster()
    shutil.rmtree(root / "shard-0001")
    shutil.move(tmp_path / "saved", root / "shard-0001")

    identity = root / "shard-0002" / "cluster.json"
    saved = identity.read_bytes()
    identity.write_text("{not json")
    with pytest.raises(hvdb.Corruption, match="shard-0002/cluster.json: not JSON"):
        open_cluster()
    identity.write_text(json.dumps(dict(json.loads(saved), version=99)))
    with pytest.raises(hvdb.Corruption, match="version 99"):
        open_cluster()
    identity.write_bytes(saved)
    assert open_cluster().shards == 3


def test_data_that_lost_its_cluster_json_is_never_overwritten(open_cluster, rng, tmp_path):
    cluster = open_cluster(shards=2)
    cluster.create_collection("c", dim=DIM, keys=int).bulk_load(
        rng.integers(0, 256, (200, DIM // 8), dtype=np.uint8))
    cluster.close()
    for s in range(2):
        (tmp_path / "cluster" / f"shard-000{s}" / "cluster.json").unlink()
    with pytest.raises(hvdb.Corruption, match=r"shard 0 .*holds collections \['c'\] but .* has no cluster.json"):
        open_cluster(shards=2)
    with hvdb.open(tmp_path / "cluster" / "shard-0001" / "db") as db:
        assert len(db.collection("c")) > 50  # untouched


def test_a_failed_creation_leaves_nothing_behind(open_cluster, tmp_path):
    root = tmp_path / "cluster"
    (root / "shard-0001").mkdir(parents=True)
    (root / "shard-0001" / "db").write_text("not a database")  # shard 1 cannot be made
    with pytest.raises(hvdb.Error, match="shard 1 "):
        open_cluster(shards=3)
    assert not (root / "shard-0000").exists() and not (root / "shard-0002").exists()
    (root / "shard-0001" / "db").unlink()
    # What a create interrupted before its last step leaves (a database, no
    # cluster.json) was never a shard: the next creation makes it again.
    hvdb.open(root / "shard-0002" / "db").close()
    cluster = open_cluster(shards=3)
    assert cluster.collections() == [] and (root / "shard-0002" / "cluster.json").exists()


def test_reads_and_writes_go_to_the_keys_shards(open_cluster, rng):
    cluster = open_cluster(shards=3)
    for key_type, keys in ((str, [f"k{i}" for i in range(300)]),
                           (bytes, [bytes([i % 256, i // 256]) for i in range(300)]),
                           (int, np.arange(1000, 1300))):
        col = cluster.create_collection(f"c_{key_type.__name__}", dim=DIM, keys=key_type)
        rows = rng.integers(0, 256, (300, DIM // 8), dtype=np.uint8)
        col.put_many(keys, rows)
        assert len(col) == 300 and sum(col.counts()) == 300 and min(col.counts()) > 50
        order = rng.permutation(300)
        picked = [keys[i] for i in order] if isinstance(keys, list) else keys[order]
        assert np.array_equal(col.get_many(picked), rows[order])
        assert np.array_equal(col.get_many(picked[:5], unpack=True),
                              np.unpackbits(rows[order[:5]], axis=1, bitorder="little").astype(bool))
        first = keys[0]
        assert first in col and np.array_equal(col.get(first), rows[0])
        col.put(first, rows[1].tobytes())  # the buffer protocol, as hvdb takes it
        assert np.array_equal(col.get(first), rows[1])
        col.put(first, rows[1:2])  # one row of rows
        assert np.array_equal(col.get(first), rows[1])
        col.delete(first)
        assert first not in col and len(col) == 299
        with pytest.raises(hvdb.NotFound):
            col.get(first)
        col.delete_many(keys[10:20])
        assert len(col) == 289 and keys[12] not in col
        # The shard of each key holds it, and only that shard.
        shard_of = hvdb.cluster.shard_of(keys[5], 3)
        assert cluster._calls.call(shard_of, "contains", col.name, _routing.key_bytes(keys[5]))
        assert not cluster._calls.call((shard_of + 1) % 3, "contains", col.name,
                                       _routing.key_bytes(keys[5]))

    ids = cluster.collection("c_int", keys=int)
    assert 1005 in ids and "1005" in ids and b"1005" in ids
    with pytest.raises(hvdb.NotFound, match=r"shard \d .*999"):
        ids.get_many([1005, 999])
    with pytest.raises(hvdb.InvalidArgument, match="3 keys for 2 rows"):
        ids.put_many([1, 2, 3], rows[:2])
    with pytest.raises(hvdb.InvalidArgument, match="dim 256 packs into 32"):
        ids.put(1, np.zeros(16, np.uint8))
    with pytest.raises(hvdb.InvalidArgument, match="dtype float64"):
        ids.put(1, np.zeros(32))
    with pytest.raises(hvdb.InvalidArgument, match="give one vector"):
        ids.put(1, rows[:2])
    with pytest.raises(hvdb.InvalidArgument, match="outside"):
        ids.put(-4, rows[0])
    assert len(ids) == 289  # nothing written by the refusals


def planted_set(rng, n, nq, dim):
    """n rows and nq queries: each query has a planted neighbour at distance
    1..4 outside the middle third; the middle third then copies rows of the
    first third (ties, planted neighbours among them); queries 0 and 1 are
    rows of the middle third (distance 0 to two rows, ties across shards)."""
    rows = rng.integers(0, 256, (n, dim // 8), dtype=np.uint8)
    queries = rng.integers(0, 256, (nq, dim // 8), dtype=np.uint8)
    for q in range(nq):
        target = int(rng.choice(np.r_[0:n // 3, 2 * n // 3:n]))
        rows[target] = queries[q]
        for bit in rng.choice(dim, size=int(rng.integers(1, 5)), replace=False):
            rows[target, bit // 8] ^= np.uint8(1 << (bit % 8))
    rows[n // 3:2 * n // 3] = rows[rng.integers(0, n // 3, n // 3)]
    queries[0], queries[1] = rows[n // 3], rows[n // 3 + 1]
    return rows, queries


def assert_same(a, b):
    if isinstance(a.keys, np.ndarray):
        assert np.array_equal(a.keys, b.keys)
    else:
        assert a.keys == b.keys
    assert np.array_equal(a.distances, b.distances)
    assert np.array_equal(a.counts, b.counts)


@pytest.mark.parametrize("key_type", [int, str])
def test_search_is_one_hvdbs_answer_ties_included(open_cluster, rng, tmp_path, key_type):
    n, nq, shards = 3000, 40, 3
    rows, queries = planted_set(rng, n, nq, DIM)
    keys = np.arange(n, dtype=np.int64) if key_type is int else [f"row-{i}" for i in range(n)]
    cluster = open_cluster(shards=shards)
    col = cluster.create_collection("c", dim=DIM, keys=key_type)
    if key_type is int:
        assert col.bulk_load(rows).rows == n  # numbered 0..n-1
    else:
        col.put_many(keys, rows)
    db, single = single_hvdb_like(tmp_path / "single", shards, rows, keys, DIM, key_type)
    with db:
        for k, radius in ((10, None), (1, None), (50, None), (10, 100), (0, 110), (None, 104)):
            got = col.search(queries, k=k, radius=radius)
            assert_same(got, single.search(queries, k=k, radius=radius))
            assert got.missing_shards == [] and got.errors == {}
            assert got.stats.rows_scanned == n and len(got.stats.shards) == shards
        for q in (0, 1, 7):  # one vector in, the query axis dropped
            got = col.search(queries[q], k=20)
            assert_same(got, single.search(queries[q], k=20))
            assert isinstance(got.counts, int) and got.distances.shape == (20,)
        got = col.search(np.unpackbits(queries, axis=1, bitorder="little").astype(bool), k=5,
                         exact=True, threads=1)
        assert_same(got, single.search(queries, k=5))
    # And against numpy alone: the distances are the true nearest ones, and
    # queries 0 and 1 see their duplicates (ties over the shards).
    got = col.search(queries, k=10)
    for q in range(nq):
        assert got.distances[q].tolist() == np.sort(hamming(rows, queries[q]))[:10].tolist()
    assert got.distances[0][0] == got.distances[0][1] == 0
    with pytest.raises(hvdb.InvalidArgument, match="k must be"):
        col.search(queries, k=-1)
    with pytest.raises(hvdb.InvalidArgument, match="queries has 16 bytes per row"):
        col.search(np.zeros((2, 16), np.uint8))
    with pytest.raises(hvdb.InvalidArgument, match="shard 0 .*nprobe"):
        col.search(queries, k=3, nprobe=-2)


def test_bulk_load_of_arrays_and_npy_files_each_shard_its_part(open_cluster, rng, tmp_path):
    rows = rng.integers(0, 256, (2500, DIM // 8), dtype=np.uint8)
    np.save(tmp_path / "a.npy", rows[:1000])
    np.save(tmp_path / "b.npy", np.unpackbits(rows[1000:], axis=1, bitorder="little").astype(bool))
    cluster = open_cluster(shards=4)
    files = cluster.create_collection("files", dim=DIM, keys=int)
    loaded = files.bulk_load([tmp_path / "a.npy", str(tmp_path / "b.npy")])
    assert loaded.rows == 2500 and loaded.first_row_number == 0
    assert sum(loaded.rows_per_shard) == 2500 and min(loaded.rows_per_shard) > 500
    assert loaded.rows_per_shard == files.counts()
    arrays = cluster.create_collection("arrays", dim=DIM, keys=int)
    assert arrays.bulk_load(rows).rows_per_shard == loaded.rows_per_shard
    picked = rng.integers(0, 2500, 50)
    assert np.array_equal(files.get_many(picked), rows[picked])
    assert np.array_equal(arrays.get_many(picked), rows[picked])
    # Rows without keys are numbered after the largest decimal key anywhere.
    arrays.put(10_000, rows[0])
    assert arrays.next_row_number() == 10_001
    again = arrays.bulk_load(rows[:10])
    assert again.first_row_number == 10_001 and 10_010 in arrays
    keyed = arrays.bulk_load(rows[:3], keys=["x", "y", "z"])
    assert keyed.rows == 3 and keyed.replaced == 0 and np.array_equal(arrays.get("z"), rows[2])
    assert arrays.bulk_load(rows[3:6], keys=["x", "y", "z"]).replaced == 3
    # A bad file fails on every shard, naming the file; nothing is loaded.
    np.save(tmp_path / "bad.npy", np.zeros((4, 7), np.uint8))
    before = files.counts()
    with pytest.raises(hvdb.InvalidArgument, match=r"shard \d .*bad.npy has 7 bytes per row"):
        files.bulk_load(tmp_path / "bad.npy")
    with pytest.raises(hvdb.IOError, match="missing.npy: no such file"):
        files.bulk_load(tmp_path / "missing.npy")
    assert files.counts() == before
    with pytest.raises(hvdb.InvalidArgument, match="key '5' appears twice"):
        arrays.bulk_load(rows[:2], keys=[5, 5])
    with pytest.raises(hvdb.InvalidArgument, match="keys= is for rows in memory"):
        files.bulk_load(tmp_path / "a.npy", keys=[1])


def test_algebra_queries_composed_in_python(open_cluster):
    """A record of role-filler pairs is stored; its filler is recovered by
    unbinding a role and cleaning up against the fillers, over the shards."""
    cluster = open_cluster(shards=3)
    seed = cluster.item_memory_seed
    fillers = cluster.create_collection("fillers", dim=2048)
    records = cluster.create_collection("records", dim=2048)
    assert fillers.item_memory_seed == seed
    names = [f"city-{i}" for i in range(200)]
    fillers.put_many(names, hvdb.hdc.symbol(names, 2048, seed=seed))
    roles = {r: hvdb.hdc.symbol(r, 2048, seed=seed) for r in ("city", "country", "currency")}
    values = {"city": "city-17", "country": "city-99", "currency": "city-150"}
    record = hvdb.hdc.bundle(np.stack([hvdb.hdc.bind(roles[r], fillers.get(v)) for r, v in values.items()]))
    records.put("mexico", record)
    for role, filler in values.items():
        query = hvdb.hdc.unbind(records.get("mexico"), roles[role])
        hit = fillers.search(query, k=2)
        # A bundle of 3 keeps each member at about D/4; unrelated rows are at D/2.
        assert hit.keys[0] == filler and hit.distances[0] < 0.35 * 2048 < 0.45 * 2048 < hit.distances[1]


def test_reshard_copies_every_collection_with_progress(open_cluster, rng, tmp_path):
    source = open_cluster(shards=2)
    ids = source.create_collection("ids", dim=DIM, keys=int)
    rows = rng.integers(0, 256, (1200, DIM // 8), dtype=np.uint8)
    ids.bulk_load(rows)
    ids.set_index("ivf", ivf_nlist=8)
    words = source.create_collection("words", dim=128, item_memory_seed=77)
    words.put_many(["a", "b", b"\xff"], rng.integers(0, 256, (3, 16), dtype=np.uint8))
    seen = []
    target = hvdb.cluster.reshard(source, tmp_path / "grown", 3, chunk_rows=500, sync=False,
                                  progress=lambda name, done, total: seen.append((name, done, total)))
    try:
        assert target.shards == 3 and target.collections() == ["ids", "words"]
        assert ("ids", 1200, 1200) in seen and ("words", 3, 3) in seen
        assert [s for s in seen if s[0] == "ids"][0] == ("ids", 0, 1200)
        grown = target.collection("ids", keys=int)
        assert len(grown) == 1200 and np.array_equal(grown.get_many(np.arange(1200)), rows)
        assert grown.index["kind"] == "ivf" and grown.index["ivf_nlist"] == 8
        assert target["words"].item_memory_seed == 77
        assert np.array_equal(target.collection("words", keys=bytes).get(b"\xff"),
                              words.get(b"\xff"))
        queries = rows[:20]
        assert np.array_equal(grown.search(queries, k=5, exact=True).distances,
                              ids.search(queries, k=5, exact=True).distances)
        # Running it again (say after a failure) copies over what is there.
        target.close()
        again = hvdb.cluster.reshard(source, tmp_path / "grown", 3, sync=False)
        assert len(again.collection("ids")) == 1200
        again.close()
    finally:
        target.close()
    with pytest.raises(hvdb.InvalidArgument, match="chunk_rows"):
        hvdb.cluster.reshard(source, tmp_path / "x", 2, chunk_rows=0)
    # A target collection left half made (on shard 0 only) is made again.
    half = open_cluster(name="half", shards=3)
    half._calls.call(0, "create_collection", "ids", 64, {})
    half.close()
    again = hvdb.cluster.reshard(source, tmp_path / "half", 3, sync=False)
    assert again.collections() == ["ids", "words"] and len(again.collection("ids")) == 1200
    again.close()
    # A source collection on some shards only is refused, naming it: copying
    # what every shard lists would leave its rows behind.
    source._calls.call(1, "drop_collection", "words")
    with pytest.raises(hvdb.InvalidArgument, match=r"'words' is on shards \[0\] of 2 only"):
        hvdb.cluster.reshard(source, tmp_path / "y", 2)
    assert source.collections() == ["ids"] and "words" not in source


def test_checkpoint_opens_as_the_same_cluster(open_cluster, rng, tmp_path):
    cluster = open_cluster(shards=3)
    col = cluster.create_collection("c", dim=DIM, keys=int)
    rows = rng.integers(0, 256, (500, DIM // 8), dtype=np.uint8)
    col.bulk_load(rows)
    cluster.verify()
    cluster.checkpoint(tmp_path / "backup")
    col.delete_many(range(100))  # after the checkpoint: not in it
    with pytest.raises(hvdb.AlreadyExists, match="shard 0 .*exists; a checkpoint goes into a new directory"):
        cluster.checkpoint(tmp_path / "backup")
    copy = open_cluster(name="backup")
    assert copy.cluster_id == cluster.cluster_id and copy.shards == 3
    restored = copy.collection("c", keys=int)
    assert len(restored) == 500 and np.array_equal(restored.get_many(range(500)), rows)
    assert len(col) == 400
    copy.verify()


def test_refusals_name_what_was_wrong(open_cluster, local_ray, tmp_path):
    import ray
    with pytest.raises(hvdb.ResourceExhausted,
                       match=r"2 shards x 1 GPU need 2 GPUs; the Ray cluster has 0 free \(give num_gpus=0\)"):
        open_cluster(name="gpu", shards=2, num_gpus=1)
    with pytest.raises(hvdb.ResourceExhausted, match=r"need 40 CPUs; the Ray cluster has [0-9.]+ free \(give num_cpus=[0-9.]+ or less\)"):
        open_cluster(name="cpu", shards=40, num_cpus=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'; its options are shards, "):
        open_cluster(shards=2, bogus=1)
    with pytest.raises(hvdb.InvalidArgument, match="shards must be an int in 1..4096"):
        open_cluster(shards=0)
    with pytest.raises(hvdb.InvalidArgument, match="give shards="):
        open_cluster(name="new")
    with pytest.raises(hvdb.InvalidArgument, match="placement names 1 nodes for 2 shards"):
        open_cluster(shards=2, placement=["x"])
    assert not os.path.exists(tmp_path / "gpu" / "shard-0000")
    # A cluster that holds every CPU, closed: the next one gets them at once
    # (Ray gives a killed actor's resources back a moment later).
    every = ray.cluster_resources()["CPU"]
    open_cluster(name="held", shards=2, num_cpus=every / 2).close()
    open_cluster(name="held-next", shards=2, num_cpus=every / 2).close()
    # Pinned to this node, shard by shard.
    node = ray.get_runtime_context().get_node_id()
    pinned = open_cluster(name="pinned", shards=2, placement=[node, node])
    assert [s["node"] for s in pinned.shard_info()] == [node, node]
    # A second opener of a live cluster is refused by the shard's lock.
    with pytest.raises(hvdb.Error, match="shard 0 .*is in use by another process"):
        open_cluster(name="pinned", shards=2)


def test_keyless_loads_from_threads_number_their_rows_apart(open_cluster, rng):
    import threading
    cluster = open_cluster(shards=3)
    col = cluster.create_collection("c", dim=DIM, keys=int)
    rows = rng.integers(0, 256, (500, DIM // 8), dtype=np.uint8)
    results = []
    threads = [threading.Thread(target=lambda: results.append(col.bulk_load(rows))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.first_row_number for r in results) == [0, 500] and len(col) == 1000
    # The driver numbers past what it handed out, even when the shards no
    # longer hold those keys (a load that failed or timed out may still land).
    col.delete_many(range(1000))
    assert col.next_row_number() == 0 and col.bulk_load(rows[:5]).first_row_number == 1000
    cluster.drop_collection("c")  # a new collection numbers from 0 again
    assert cluster.create_collection("c", dim=DIM, keys=int).bulk_load(rows[:5]).first_row_number == 0


def test_collections_stay_listable_while_others_are_created_and_dropped(open_cluster):
    import threading
    cluster = open_cluster(shards=3)
    cluster.create_collection("steady", dim=64)
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            cluster.create_collection("churn", dim=64)
            cluster.drop_collection("churn")

    thread = threading.Thread(target=churn)
    thread.start()
    try:
        for _ in range(60):
            assert "steady" in cluster.collections()
    finally:
        stop.set()
        thread.join()
    assert cluster.collections() == ["steady"]


def test_multi_file_loads_and_checkpoints_that_fail_say_what_was_done(open_cluster, rng, tmp_path):
    cluster = open_cluster(shards=3)
    col = cluster.create_collection("c", dim=DIM, keys=int)
    np.save(tmp_path / "good.npy", rng.integers(0, 256, (300, DIM // 8), dtype=np.uint8))
    with pytest.raises(hvdb.IOError, match=r"missing.npy: no such file; this shard loaded \d+ rows of the files "
                                          r"before it .*failed, keeping the files they loaded before; the rows were numbered "
                                          r"from 0: running it again with first_row_number=0 completes it"):
        col.bulk_load([tmp_path / "good.npy", tmp_path / "missing.npy"])
    assert len(col) == 300  # the first file, on every shard
    (tmp_path / "backup" / "shard-0001").mkdir(parents=True)
    with pytest.raises(hvdb.AlreadyExists, match="shard 1 .*exists"):
        cluster.checkpoint(tmp_path / "backup")
    assert sorted(os.listdir(tmp_path / "backup")) == ["shard-0001"]  # no shard wrote


def test_empty_batches_and_wrong_input_give_hvdb_errors(open_cluster, rng, tmp_path):
    cluster = open_cluster(shards=2)
    col = cluster.create_collection("c", dim=DIM, keys=int)
    rows = rng.integers(0, 256, (50, DIM // 8), dtype=np.uint8)
    col.bulk_load(rows)
    empty = col.search(np.zeros((0, DIM // 8), np.uint8), k=3)
    assert empty.distances.shape == (0, 3) and empty.keys.shape == (0, 3) and len(empty.counts) == 0
    words = cluster.create_collection("w", dim=DIM)
    assert words.search(np.zeros((0, DIM // 8), np.uint8), k=3).keys == []
    for call, what in ((lambda: col.put_many(5, rows[:1]), "keys is one key"),
                       (lambda: col.put_many(bytearray(b"ab"), rows[:2]), "keys is one key"),
                       (lambda: col.put_many(object(), rows[:1]), "keys must be a list"),
                       (lambda: col.bulk_load(rows[:2], first_row_number=2**63 - 1), "passes 2\\*\\*63-1"),
                       (lambda: col.bulk_load(rows[:2], first_row_number="7"), "first_row_number must be an int"),
                       (lambda: col.bulk_load(rows[:2], first_row_number=1.5), "first_row_number must be an int"),
                       (lambda: col.search(rows[0], radius="a"), "radius must be an int"),
                       (lambda: col.search(rows[0], timeout=0), "timeout must be a finite number"),
                       (lambda: col.search(rows[0], timeout=float("inf")), "timeout must be a finite number"),
                       (lambda: setattr(cluster, "timeout", float("inf")), "timeout must be a finite number"),
                       (lambda: col.bulk_load(os.fsencode(str(tmp_path)) + b"/\xff.npy"), "not valid UTF-8"),
                       (lambda: open_cluster(name=os.fsdecode(b"bad\xff"), shards=2), "not valid UTF-8"),
                       (lambda: hvdb.cluster.reshard(cluster, tmp_path / "r", 2, item_memory_seed=5),
                        "keeps the source's item_memory_seed"),
                       (lambda: open_cluster(name="x", shards=2, num_cpus=-1), "num_cpus must be"),
                       (lambda: open_cluster(name="x", shards=2, max_concurrency=0), "max_concurrency must be")):
        with pytest.raises(hvdb.InvalidArgument, match=what):
            call()
    with pytest.raises(TypeError, match="unexpected keyword argument 'nprobes'"):
        col.search(rows[0], nprobes=3)
    assert len(col) == 50 and not (tmp_path / "r").exists() and not (tmp_path / "x").exists()
    cluster.close()
    with pytest.raises(hvdb.Unavailable, match="is closed"):
        col.search(rows[0])
    with pytest.raises(hvdb.Unavailable, match="is closed"):
        hvdb.cluster.reshard(cluster, tmp_path / "r", 2)
    assert not (tmp_path / "r").exists()


def test_the_package_documents_itself_and_says_when_ray_is_missing():
    import inspect
    import subprocess
    import sys
    for name in hvdb.cluster.__all__:
        obj = getattr(hvdb.cluster, name)
        assert inspect.getdoc(obj), name
        if inspect.isclass(obj):
            for method_name, method in inspect.getmembers(obj, inspect.isfunction):
                if not method_name.startswith("_"):
                    assert inspect.getdoc(method), f"{name}.{method_name}"
                    assert inspect.signature(method).return_annotation is not inspect.Signature.empty, \
                        f"{name}.{method_name} has no return annotation"
    # Without Ray, the import says what to install.
    out = subprocess.run([sys.executable, "-c", "import sys; sys.modules['ray'] = None; import hvdb.cluster"],
                         capture_output=True, text=True)
    assert out.returncode != 0 and "hvdb.cluster needs Ray: pip install" in out.stderr


def test_the_guides_first_session_runs(local_ray, tmp_path, capsys):
    import pathlib
    import re
    guide = (pathlib.Path(__file__).parents[3] / "docs" / "scale-out.md").read_text()
    code = re.search(r"## A first session\n\n```python\n(.*?)```", guide, re.S).group(1)
    assert 'hvdb.cluster.open("/data/vectors", shards=4)' in code and "\nray.init()" in code
    code = code.replace('"/data/vectors"', repr(str(tmp_path / "vectors")))
    code = code.replace("\nray.init()", "\npass  # Ray runs already")
    exec(compile(code, "docs/scale-out.md", "exec"), {})
    out = capsys.readouterr().out
    assert "rows=100000" in out and "first_row_number=0" in out and "missing_shards" not in out
    assert "100000 [" in out  # len(ids), then its counts per shard
    assert (tmp_path / "vectors" / "shard-0003" / "cluster.json").exists()

"""The database from Python: open and close, collections, one and many keys,
batches, bulk loads and exports, iteration, a reopen round trip."""
import gc

import numpy as np
import pytest

import hvdb
from conftest import random_rows

DIM = 256


def test_open_close_and_context_manager(tmp_path):
    db = hvdb.open(tmp_path / "db")
    assert not db.closed and db.path == str(tmp_path / "db")
    c = db.create_collection("c", dim=DIM)
    db.close()
    db.close()  # twice is fine
    assert db.closed
    with pytest.raises(hvdb.Unavailable, match="is closed"):
        db.collections()
    with pytest.raises(hvdb.Unavailable, match="is closed"):
        len(c)
    with hvdb.open(tmp_path / "db") as again:
        assert again.collections() == ["c"]
    assert again.closed


def test_a_second_open_of_the_same_path_is_refused(tmp_path):
    with hvdb.open(tmp_path / "db"):
        with pytest.raises(hvdb.Unavailable) as e:
            hvdb.open(tmp_path / "db")
        assert str(tmp_path / "db") in str(e.value)


def test_handles_keep_the_database_open(tmp_path, rng):
    c = hvdb.open(tmp_path / "db").create_collection("c", dim=DIM)
    gc.collect()  # the Database object is gone; the handle still works
    c.put("a", random_rows(rng, 1, DIM)[0])
    assert len(c) == 1


def test_collections(db):
    assert db.collections() == [] and len(db) == 0
    words = db.create_collection("words", dim=DIM)
    db.create_collection("ids", dim=128, keys=int)
    assert db.collections() == ["ids", "words"] and len(db) == 2
    assert "words" in db and "nope" not in db
    assert db["words"].dim == DIM and db.collection("ids", keys=int).key_type is int
    assert db["ids"].key_type is str  # the key type belongs to the handle: not stored
    with pytest.raises(hvdb.AlreadyExists):
        db.create_collection("words", dim=DIM)
    with pytest.raises(hvdb.NotFound, match="nope"):
        db.collection("nope")
    with pytest.raises(hvdb.InvalidArgument, match="dim"):
        db.create_collection("odd", dim=100)
    with pytest.raises(hvdb.InvalidArgument):
        db.create_collection("bad name!", dim=DIM)
    with pytest.raises(hvdb.InvalidArgument, match="keys="):
        db.create_collection("f", dim=DIM, keys=float)
    db.drop_collection("words")
    assert db.collections() == ["ids"]
    with pytest.raises(hvdb.NotFound):
        words.put("a", np.zeros(DIM // 8, dtype=np.uint8))  # the handle of a dropped collection
    with pytest.raises(hvdb.NotFound):
        db.drop_collection("words")


def test_put_get_delete_one_and_many(db, rng):
    c = db.create_collection("c", dim=DIM)
    rows = random_rows(rng, 5, DIM)
    c.put("a", rows[0])
    assert np.array_equal(c.get("a"), rows[0]) and "a" in c and len(c) == 1
    c.put_many(["b", "c", "d", "e"], rows[1:])
    assert np.array_equal(c.get_many(["e", "a", "c"]), rows[[4, 0, 2]])
    c.delete("a")
    c.delete("a")  # absent: nothing happens
    assert "a" not in c and len(c) == 4
    with pytest.raises(hvdb.NotFound, match="'a'"):
        c.get("a")
    with pytest.raises(hvdb.NotFound, match="'zz'"):
        c.get_many(["b", "zz"])
    c.delete_many(["b", "c", "nope"])
    assert sorted(c.keys()) == ["d", "e"]


def test_many_is_all_or_nothing(db, rng):
    c = db.create_collection("c", dim=DIM)
    rows = random_rows(rng, 3, DIM)
    with pytest.raises(hvdb.InvalidArgument):
        c.put_many(["x", "", "z"], rows)  # an empty key
    assert len(c) == 0
    with pytest.raises(hvdb.InvalidArgument, match="2 keys for 3 vectors"):
        c.put_many(["x", "y"], rows)
    assert len(c) == 0


def test_batches_apply_atomically(db, rng):
    c = db.create_collection("c", dim=DIM)
    rows = random_rows(rng, 3, DIM)
    with c.batch() as b:
        b.put("a", rows[0])
        b.put("b", rows[1])
        b.delete("a")
        assert len(b) == 3
        assert len(c) == 0  # nothing before the block ends
    assert list(c.keys()) == ["b"]
    with pytest.raises(RuntimeError):
        with c.batch() as b:
            b.put("c", rows[2])
            raise RuntimeError("discards the batch")
    assert "c" not in c
    b = c.batch()
    b.put("c", rows[2])
    b.put("", rows[2])  # invalid: the whole batch is refused
    with pytest.raises(hvdb.InvalidArgument):
        b.write()
    assert list(c.keys()) == ["b"]


def test_iteration_is_a_snapshot_in_insertion_order(db, rng):
    c = db.create_collection("c", dim=DIM)
    rows = random_rows(rng, 4, DIM)
    c.put_many(["d", "a", "c", "b"], rows)
    items = iter(c)
    c.put("later", rows[0])
    seen = list(items)
    assert [k for k, _ in seen] == ["d", "a", "c", "b"]
    assert all(np.array_equal(v, rows[i]) for i, (_, v) in enumerate(seen))
    assert list(c.keys())[-1] == "later"


def test_closing_ends_open_iterators(tmp_path, rng):
    db = hvdb.open(tmp_path / "db")
    c = db.create_collection("c", dim=DIM)
    c.put_many(["a", "b"], random_rows(rng, 2, DIM))
    it = iter(c)
    assert next(it)[0] == "a"
    db.close()
    with pytest.raises(hvdb.Unavailable, match="closed"):
        next(it)


def test_bulk_load_from_memory(db, rng):
    c = db.create_collection("c", dim=DIM, keys=int)
    rows = random_rows(rng, 1000, DIM)
    r = c.bulk_load(rows)
    assert (r.rows, r.replaced, r.first_row_number) == (1000, 0, 0)
    r = c.bulk_load(rows[:10])  # numbered after the largest decimal key
    assert r.first_row_number == 1000 and len(c) == 1010
    assert np.array_equal(c.get(1005), rows[5])
    r = c.bulk_load(rows[:3], keys=np.array([7, 8, 2000]))
    assert (r.rows, r.replaced) == (3, 2)
    assert np.array_equal(c.get(2000), rows[2])
    bools = np.unpackbits(rows[:2], axis=1, bitorder="little").astype(bool)
    c.bulk_load(bools, keys=[5000, 5001])
    assert np.array_equal(c.get_many([5000, 5001]), rows[:2])
    before = len(c)
    with pytest.raises(hvdb.InvalidArgument, match="rows in memory, row 1: key '9' appears twice"):
        c.bulk_load(rows[:3], keys=[9, 9, 10])
    with pytest.raises(hvdb.InvalidArgument, match="2 keys for 3 rows"):
        c.bulk_load(rows[:3], keys=[1, 2])
    with pytest.raises(hvdb.InvalidArgument, match="expected 256"):
        c.bulk_load(random_rows(rng, 2, 128))
    assert len(c) == before


def test_export_and_bulk_load_files(db, rng, tmp_path):
    c = db.create_collection("c", dim=DIM)
    rows = random_rows(rng, 50, DIM)
    keys = [f"k{i}" for i in range(50)]
    c.put_many(keys, rows)
    c.export(tmp_path / "rows.npy")
    assert np.array_equal(np.load(tmp_path / "rows.npy"), rows)  # numpy reads it
    assert (tmp_path / "rows.keys").read_text().split("\n")[:50] == keys
    copy = db.create_collection("copy", dim=DIM)
    r = copy.bulk_load(tmp_path / "rows.npy", keys_path=str(tmp_path / "rows.keys"))
    assert r.rows == 50 and list(copy.keys()) == keys
    c.export(str(tmp_path / "rows.hvdb"))
    third = db.create_collection("third", dim=DIM)
    third.bulk_load(str(tmp_path / "rows.hvdb"))
    assert np.array_equal(third.get_many(keys), rows)
    with pytest.raises(OSError, match="cannot open .*nothing.npy"):
        third.bulk_load(tmp_path / "nothing.npy")  # hvdb.IOError, an OSError
    with pytest.raises(hvdb.InvalidArgument, match="format 'xml'"):
        c.export(tmp_path / "x", format="xml")


def test_stats_checkpoint_verify_and_check(db, rng, tmp_path):
    c = db.create_collection("c", dim=DIM)
    c.bulk_load(random_rows(rng, 100, DIM))
    s = c.stats()
    assert (s.name, s.dim, s.count, s.index) == ("c", DIM, 100, "flat")
    assert s.memory_bytes >= 100 * DIM // 8
    db.verify()
    db.checkpoint(tmp_path / "copy")
    with pytest.raises(hvdb.AlreadyExists):
        db.checkpoint(tmp_path / "copy")
    assert hvdb.check(tmp_path / "copy") == []
    with hvdb.open(tmp_path / "copy", read_only=True) as copy:
        assert len(copy["c"]) == 100
        with pytest.raises(hvdb.InvalidArgument):
            copy["c"].put("x", random_rows(rng, 1, DIM)[0])


def test_indexes_and_their_knobs(db, rng):
    c = db.create_collection("c", dim=DIM, index="ivf", ivf_nlist=4, ivf_nprobe=2)
    assert c.index["kind"] == "ivf" and c.index["ivf_nlist"] == 4 and c.index["ivf_nprobe"] == 2
    rows = random_rows(rng, 400, DIM)
    c.bulk_load(rows)
    exact = c.search(rows[:5], k=3, exact=True)
    full = c.search(rows[:5], k=3, nprobe=4)  # every list: exact
    assert full.keys == exact.keys and np.array_equal(full.distances, exact.distances)
    assert full.stats.index == "ivf"
    assert c.stats().ivf_lists == 4
    # ivf_nlist 0 (the default): trained at 1024 rows, with the count chosen
    # from the data (random rows: no clusters, so the sqrt rule, at least 64).
    c.set_index("ivf")
    assert c.index["ivf_nlist"] == 0 and c.stats().ivf_lists == 0
    assert "it trains at 1024" in c.search(rows[:5], k=3).stats.plan.reason
    c.bulk_load(random_rows(rng, 700, DIM), keys=[f"more{i}" for i in range(700)])
    assert c.stats().ivf_lists == 64
    assert "ivf index (nlist 64, chosen from the data)" in c.search(rows[:5], k=3).stats.plan.reason
    exact = c.search(rows[:5], k=3, exact=True)
    assert c.search(rows[:5], k=3, nprobe=64).keys == exact.keys
    c.set_index("hnsw", hnsw_m=8, hnsw_ef_search=32)
    assert c.index["kind"] == "hnsw" and c.index["hnsw_m"] == 8
    assert c.search(rows[:5], k=3, ef=1100).keys == exact.keys  # ef >= the 1100 rows: exact
    c.set_index("prefix", prefix_bits=64)
    assert c.search(rows[:5], k=3, candidates=400).keys == exact.keys  # 3 x 400 >= 1100
    with pytest.raises(hvdb.InvalidArgument, match="'ivf_nlst' is unknown"):
        c.set_index("ivf", ivf_nlst=8)
    with pytest.raises(hvdb.InvalidArgument, match="ivf_nlist = 'many' is not an integer"):
        c.set_index("ivf", ivf_nlist="many")
    with pytest.raises(hvdb.InvalidArgument, match="'annoy' is unknown"):
        c.set_index("annoy")
    assert c.index["kind"] == "prefix"


def test_ivf_over_narrow_rows_is_exact_through_writes(db, rng):
    # 256-bit rows: the lists keep their bits transposed too, in step with
    # every delete, replace and insert; probing every list is the exact scan.
    c = db.create_collection("c", dim=DIM, index="ivf", ivf_nlist=16, ivf_retrain_imbalance=100)
    rows = random_rows(rng, 2000, DIM)
    c.bulk_load(rows)
    assert c.stats().ivf_lists == 16
    keys = [f"{i}" for i in range(2000)]  # bulk_load's keys: the row numbers
    c.delete_many(keys[3::7])
    c.put_many(keys[5::11], random_rows(rng, len(keys[5::11]), DIM))
    c.put_many([f"new{i}" for i in range(300)], random_rows(rng, 300, DIM))
    assert len(c) == len((set(keys) - set(keys[3::7])) | set(keys[5::11])) + 300
    queries = np.concatenate([rows[:20], random_rows(rng, 20, DIM)])
    for k in (1, 10, 50):
        exact = c.search(queries, k=k, exact=True)
        every = c.search(queries, k=k, nprobe=16)
        assert every.stats.index == "ivf"
        assert every.keys == exact.keys and np.array_equal(every.distances, exact.distances)
    assert c.stats().ivf_lists == 16  # not retrained: the lists above were written to


def test_accumulators_and_cleanup(db, rng):
    c = db.create_collection("c", dim=2048)
    members = random_rows(rng, 5, 2048)
    c.accumulate("class", members[:3])
    c.accumulate("class", members[3:], weight=1)
    assert c.accumulator_members("class") == 5
    assert np.array_equal(c.accumulator("class"), hvdb.hdc.bundle(members))
    assert c.accumulators() == ["class"]
    c.drop_accumulator("class")
    assert c.accumulators() == []
    with pytest.raises(hvdb.NotFound):
        c.accumulator("class")
    c.put_many(["a", "b", "c"], members[:3])
    noisy = members[1].copy()
    noisy[:40] ^= 0xFF  # 320 of 2048 bits flipped
    assert c.cleanup(noisy) == ("b", 320)
    with pytest.raises(hvdb.NotFound):
        c.cleanup(random_rows(rng, 1, 2048)[0])


def test_reopen_round_trip(tmp_path, rng):
    rows = random_rows(rng, 300, DIM)
    with hvdb.open(tmp_path / "db", item_memory_seed=42) as db:
        c = db.create_collection("c", dim=DIM, index="ivf", ivf_nlist=8)
        c.bulk_load(rows[:200])
        c.put_many([f"s{i}" for i in range(100)], rows[200:])
        c.delete("17")
        c.accumulate("acc", rows[:3])
        before = c.search(rows[:20], k=5, exact=True)
        keys = list(c.keys())
    with hvdb.open(tmp_path / "db") as db:
        assert db.item_memory_seed == 42
        c = db["c"]
        assert list(c.keys()) == keys and len(c) == 299
        assert c.index["kind"] == "ivf" and c.index["ivf_nlist"] == 8
        assert np.array_equal(c.accumulator("acc"), hvdb.hdc.bundle(rows[:3]))
        after = c.search(rows[:20], k=5, exact=True)
        assert after.keys == before.keys and np.array_equal(after.distances, before.distances)
        assert np.array_equal(c.get("s5"), rows[205])


def test_check_and_read_only_opens_beside_a_writer(tmp_path, rng):
    # Regression: a check beside the open writer reported table files that
    # a compaction had just deleted as Corruption.
    for trial in range(5):
        path = tmp_path / f"db{trial}"
        with hvdb.open(path, sync=False) as db:
            c = db.create_collection("c", dim=64)
            c.put("a", random_rows(rng, 1, 64)[0])
            with hvdb.open(path, read_only=True) as reader:
                assert len(reader["c"]) == 1
            db.checkpoint(tmp_path / f"copy{trial}")
            assert hvdb.check(path) == []

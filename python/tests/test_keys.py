"""Keys: str, bytes and integers, how they map to hvdb's byte keys and back."""
import numpy as np
import pytest

import hvdb
from conftest import random_rows

DIM = 128


def test_str_bytes_and_int_keys_map_to_the_documented_bytes(db, rng):
    v = random_rows(rng, 4, DIM)
    c = db.create_collection("c", dim=DIM, keys=bytes)
    c.put("grüne äpfel", v[0])       # str: its UTF-8 bytes
    c.put(b"\x00\xff raw", v[1])      # bytes: as they are
    c.put(17, v[2])                   # int: its decimal digits
    c.put(np.uint16(18), v[3])        # numpy integers too
    assert list(c.keys()) == ["grüne äpfel".encode(), b"\x00\xff raw", b"17", b"18"]
    assert np.array_equal(c.get(b"17"), v[2]) and np.array_equal(c.get("17"), v[2])


def test_any_bytes_round_trip_through_str_keys(db, rng):
    c = db.create_collection("c", dim=DIM)
    c.put(b"\xff\xfe not utf-8", random_rows(rng, 1, DIM)[0])
    (key,) = list(c.keys())
    assert key == "\udcff\udcfe not utf-8"  # surrogateescape
    assert key in c and np.array_equal(c.get(key), db.collection("c", keys=bytes).get(b"\xff\xfe not utf-8"))


def test_integer_keys_come_back_as_int64_arrays(db, rng):
    c = db.create_collection("c", dim=DIM, keys=int)
    rows = random_rows(rng, 3, DIM)
    c.put_many(np.array([5, 2**63 - 1, 0], dtype=np.uint64), rows)
    assert list(c.keys()) == [5, 2**63 - 1, 0]
    hits = c.search(rows, k=5)
    assert hits.keys.dtype == np.int64 and hits.keys.shape == (3, 5)
    assert list(hits.keys[:, 0]) == [5, 2**63 - 1, 0]
    assert (hits.keys[:, 3:] == -1).all() and (hits.distances[:, 3:] == 2**32 - 1).all()
    assert list(hits.counts) == [3, 3, 3]
    db.collection("c").put("not a number", rows[0])
    with pytest.raises(hvdb.InvalidArgument, match="'not a number' is not an integer key"):
        list(c.keys())
    with pytest.raises(hvdb.InvalidArgument, match="is not an integer key"):
        c.search(rows[0], k=10)


def test_bad_keys_are_refused(db, rng):
    c = db.create_collection("c", dim=DIM)
    v = random_rows(rng, 1, DIM)[0]
    with pytest.raises(hvdb.InvalidArgument, match="-1: integer keys are 0 to 2\\^63 - 1"):
        c.put(-1, v)
    with pytest.raises(hvdb.InvalidArgument, match="2\\^63"):
        c.put(2**63, v)
    with pytest.raises(hvdb.InvalidArgument, match="is a bool"):
        c.put(True, v)
    with pytest.raises(hvdb.InvalidArgument, match="type float"):
        c.put(1.5, v)
    with pytest.raises(hvdb.InvalidArgument):
        c.put("", v)  # keys are 1 to 65536 bytes
    with pytest.raises(hvdb.InvalidArgument, match="one str where a list of keys belongs"):
        c.put_many("abc", random_rows(rng, 3, DIM))
    with pytest.raises(hvdb.InvalidArgument, match="keys\\[1\\] = -3"):
        c.delete_many(np.array([1, -3]))
    assert len(c) == 0

"""Vectors in and out: packed uint8 and bool rows, the buffer protocol and
DLPack, strided and misaligned arrays, and the errors for anything else."""
import numpy as np
import pytest

import hvdb
from conftest import random_rows

DIM = 512


class DLPackOnly:
    """Offers an array through DLPack alone, as a CPU torch tensor does."""

    def __init__(self, array):
        self._array = array

    def __dlpack__(self, **kwargs):
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._array.__dlpack_device__()


@pytest.fixture
def col(db):
    return db.create_collection("c", dim=DIM)


def test_every_layout_stores_the_same_bits(col, rng):
    packed = random_rows(rng, 1, DIM)[0]
    bools = np.unpackbits(packed, bitorder="little").astype(bool)
    layouts = {
        "packed": packed,
        "bool": bools,
        "bytes": packed.tobytes(),
        "bytearray": bytearray(packed.tobytes()),
        "memoryview": memoryview(packed.tobytes()),
        "list of bools": bools.tolist(),
        "dlpack uint8": DLPackOnly(packed),
        "dlpack bool": DLPackOnly(bools),
        "read-only": np.frombuffer(packed.tobytes(), dtype=np.uint8),
    }
    for name, vector in layouts.items():
        col.put(name, vector)
        assert np.array_equal(col.get(name), packed), name
    assert np.array_equal(col.get("bool", unpack=True), bools)


def test_strided_misaligned_and_fortran_rows_are_read_right(col, rng):
    rows = random_rows(rng, 6, DIM)
    wide = np.zeros((6, 2 * DIM // 8), dtype=np.uint8)
    wide[:, ::2] = rows  # every other byte: strided columns
    buffer = np.zeros(6 * DIM // 8 + 1, dtype=np.uint8)
    misaligned = buffer[1:].reshape(6, DIM // 8)  # starts at an odd address
    misaligned[:] = rows
    assert misaligned.ctypes.data % 8 != 0
    cases = {
        "strided": wide[:, ::2],
        "every other row": np.repeat(rows, 2, axis=0)[::2],
        "misaligned": misaligned,
        "fortran": np.asfortranarray(rows),
    }
    for name, array in cases.items():
        keys = [f"{name}{i}" for i in range(6)]
        col.put_many(keys, array)
        assert np.array_equal(col.get_many(keys), rows), name
        hits = col.search(array, k=1)
        assert [h[0] for h in hits.keys] == [f"strided{i}" for i in range(6)], name


def test_outputs_are_numpy_arrays_that_own_their_memory(col, rng):
    rows = random_rows(rng, 3, DIM)
    col.put_many(["a", "b", "c"], rows)
    out = col.get_many(["a", "b", "c"])
    assert out.dtype == np.uint8 and out.shape == (3, DIM // 8) and out.flags.c_contiguous
    out[:] = 0  # writable, and a copy: the stored vectors are unchanged
    assert np.array_equal(col.get_many(["a", "b", "c"]), rows)
    unpacked = col.get_many(["a", "b"], unpack=True)
    assert unpacked.dtype == bool and unpacked.shape == (2, DIM)
    assert np.array_equal(np.packbits(unpacked, axis=1, bitorder="little"), rows[:2])
    assert col.get("a").shape == (DIM // 8,)


def test_wrong_arrays_are_refused_naming_the_problem(col, rng):
    with pytest.raises(hvdb.InvalidArgument, match="float32"):
        col.put("x", np.zeros(DIM // 8, dtype=np.float32))
    with pytest.raises(hvdb.InvalidArgument, match="int64"):
        col.put("x", np.zeros(DIM // 8, dtype=np.int64))
    with pytest.raises(hvdb.InvalidArgument, match=r"shape \(32,\) holds vectors of 256 bits; expected 512 \(64 bytes a row\)"):
        col.put("x", np.zeros(32, dtype=np.uint8))
    with pytest.raises(hvdb.InvalidArgument, match=r"shape \(2, 2, 64\)"):
        col.put_many(["x"], np.zeros((2, 2, 64), dtype=np.uint8))
    with pytest.raises(hvdb.InvalidArgument, match="multiple of 64"):
        col.put("x", np.zeros(100, dtype=bool))
    with pytest.raises(hvdb.InvalidArgument, match="2 rows where one vector belongs"):
        col.put("x", random_rows(rng, 2, DIM))
    with pytest.raises(hvdb.InvalidArgument, match="not an array"):
        col.put("x", object())
    assert len(col) == 0

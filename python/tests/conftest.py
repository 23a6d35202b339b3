"""Shared fixtures of the Python package's tests (run by `make test` through
ctest: python_tests). Random data comes from HVDB_TEST_SEED when set, else a
fresh seed that a failing test prints."""
import os
import random
import shutil
import subprocess

import numpy as np
import pytest

import hvdb


@pytest.fixture
def seed(request):
    value = int(os.environ.get("HVDB_TEST_SEED", random.randrange(2**63)))
    print(f"HVDB_TEST_SEED={value}")
    return value


@pytest.fixture
def rng(seed):
    return np.random.default_rng(seed)


@pytest.fixture
def db(tmp_path):
    with hvdb.open(tmp_path / "db", sync=False) as database:
        yield database


def random_rows(rng, n, dim):
    """n packed rows of dim random bits."""
    return rng.integers(0, 256, size=(n, dim // 8), dtype=np.uint8)


def hamming(rows, query):
    """Distances of every row to query, by numpy alone (the reference)."""
    return np.unpackbits(rows ^ query, axis=-1).sum(axis=-1).astype(np.int64)


def hvdb_program():
    """The hvdb program of this build (HVDB_BIN, set by ctest), else one on PATH."""
    path = os.environ.get("HVDB_BIN") or shutil.which("hvdb")
    if not path:
        pytest.skip("no hvdb program: set HVDB_BIN (ctest does) to compare with the shell")
    return path


def run_shell(db_path, statements):
    """Runs statements in `hvdb shell` in json mode; one parsed line per statement."""
    import json

    out = subprocess.run(
        [hvdb_program(), "shell", str(db_path), "-c", ".mode json\n" + statements],
        capture_output=True, text=True, check=True, timeout=120)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def hex_of(vector):
    """hvdb's hex form of a packed vector: 64-bit words, lowest first, 16 digits each."""
    words = np.frombuffer(np.ascontiguousarray(vector).tobytes(), dtype="<u8")
    return "".join(f"{int(w):016x}" for w in words)

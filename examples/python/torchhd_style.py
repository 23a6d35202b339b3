"""A torchhd-style HDC workflow on hvdb: binary (BSC) hypervectors as bool
arrays in and out, bound and bundled into records, kept in a collection and
queried back by unbinding and cleanup.

Kanerva's "dollar of Mexico": a country is a record of role-filler pairs;
binding the records of two countries maps one's fillers onto the other's,
so unbinding the dollar from that mapping gives the peso, which cleanup
finds among the stored symbols.

    python examples/python/torchhd_style.py

With torchhd installed, the symbols are torchhd.random(..., "BSC") tensors
passed to hvdb as they are (DLPack), and hvdb's bind is checked against
torchhd's; without it, numpy bool arrays stand in for them.
"""
import tempfile

import numpy as np

import hvdb
from hvdb import hdc

D = 10_048  # torchhd's usual 10000 bits, rounded up to hvdb's multiple of 64

try:
    import torch
    import torchhd
except ImportError:
    torchhd = None

NAMES = ["country", "capital", "currency", "usa", "wdc", "dollar", "mexico", "mxc", "peso"]


def random_bsc(n):
    """n random BSC hypervectors as a bool array (n, D)."""
    if torchhd is not None:
        return torchhd.random(n, D, "BSC")  # a BSCTensor of bools; hvdb reads it through DLPack
    return np.random.default_rng(3).integers(0, 2, size=(n, D)).astype(bool)


def main():
    symbols = random_bsc(len(NAMES))
    with hvdb.open(tempfile.mkdtemp(prefix="hvdb-torchhd-")) as db:
        items = db.create_collection("items", dim=D)
        items.put_many(NAMES, symbols)  # bool rows in; stored packed
        v = dict(zip(NAMES, items.get_many(NAMES)))  # packed uint8 rows out

        def record(country, capital, currency):
            roles = np.stack([v["country"], v["capital"], v["currency"]])
            return hdc.bundle(hdc.bind(roles, np.stack([v[country], v[capital], v[currency]])))

        usa = record("usa", "wdc", "dollar")
        mexico = record("mexico", "mxc", "peso")
        mapping = hdc.bind(usa, mexico)
        answer = hdc.unbind(mapping, v["dollar"])
        key, distance = items.cleanup(answer)
        z = hdc.zscore(distance, D)
        print(f"dollar of Mexico: {key} (distance {distance} of {D}, {z:.1f} sigmas nearer than chance)")
        assert key == "peso"

        if torchhd is not None:
            t = torchhd.bind(symbols[0], symbols[1])  # torchhd's BSC bind (XOR)
            ours = hdc.bind(symbols[0], symbols[1])
            assert np.array_equal(np.packbits(t.numpy(), bitorder="little"), ours)
            print("hvdb.hdc.bind equals torchhd.bind on BSC tensors")
        back = items.get("peso", unpack=True)  # bool out, as torchhd holds BSC vectors
        print(f"peso comes back as {back.dtype} {back.shape}")


if __name__ == "__main__":
    main()

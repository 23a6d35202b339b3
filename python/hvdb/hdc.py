"""The HDC algebra on numpy arrays, bit for bit as hvdb::hdc and the shell.

A vector is a packed uint8 array (D/8,) (numpy.packbits(bits,
bitorder="little")) or a bool array (D,); rows (n, D/8) are n vectors and go
through hvdb's batch kernels on every core, with the GIL released. Results are
packed uint8.
"""
from ._core.hdc import (
    DEFAULT_ITEM_MEMORY_SEED,
    DEFAULT_TIE_SEED,
    bind,
    bundle,
    circular,
    distance,
    level,
    ngram,
    permute,
    random,
    record,
    retrieval_probability,
    sequence,
    similarity,
    symbol,
    text,
    thermometer,
    unbind,
    zscore,
)

__all__ = [
    "DEFAULT_ITEM_MEMORY_SEED",
    "DEFAULT_TIE_SEED",
    "bind",
    "bundle",
    "circular",
    "distance",
    "level",
    "ngram",
    "permute",
    "random",
    "record",
    "retrieval_probability",
    "sequence",
    "similarity",
    "symbol",
    "text",
    "thermometer",
    "unbind",
    "zscore",
]

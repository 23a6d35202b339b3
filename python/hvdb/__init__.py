"""hvdb: a database of binary hypervectors, embedded in your process.

    import numpy as np, hvdb
    with hvdb.open("/tmp/words") as db:
        words = db.create_collection("words", dim=2048)
        words.put("apple", hvdb.hdc.symbol("apple", 2048))
        hits = words.search(hvdb.hdc.symbol("apple", 2048), k=5)
        print(hits.keys, hits.distances)

Vectors are numpy rows: packed uint8 (n, D/8) as numpy.packbits(bits, axis=1,
bitorder="little") gives them, or bool (n, D). The tour is docs/python.md.
"""
import sys as _sys

from . import _core
from ._errors import (
    AlreadyExists,
    Corruption,
    Error,
    InvalidArgument,
    IOError,
    NotFound,
    ResourceExhausted,
    Unavailable,
)
from ._core import (
    DEFAULT_ITEM_MEMORY_SEED,
    BulkLoadResult,
    Collection,
    CollectionIterator,
    CollectionStats,
    Database,
    SearchPlan,
    SearchResult,
    SearchStats,
    WriteBatch,
    check,
    open,
    system_info,
    version,
)

# hvdb._core.hdc is a submodule of the extension; registered so that
# `from hvdb._core.hdc import ...` (hvdb/hdc.py) imports it.
_sys.modules[__name__ + "._core.hdc"] = _core.hdc
from . import hdc  # noqa: E402

__version__ = version()

__all__ = [
    "DEFAULT_ITEM_MEMORY_SEED",
    "AlreadyExists",
    "BulkLoadResult",
    "Collection",
    "CollectionIterator",
    "CollectionStats",
    "Corruption",
    "Database",
    "Error",
    "IOError",
    "InvalidArgument",
    "NotFound",
    "ResourceExhausted",
    "SearchPlan",
    "SearchResult",
    "SearchStats",
    "Unavailable",
    "WriteBatch",
    "check",
    "hdc",
    "open",
    "system_info",
    "version",
]

"""A collection sharded over a cluster's shard actors: routing, fan-out and merge."""
import dataclasses
import os
import time
from typing import Iterable, Optional, Sequence, Union

import numpy as np
import ray
from numpy.typing import ArrayLike

from .._errors import Error, InvalidArgument
from ._routing import MAX_INT_KEY, key_bytes, normalize_keys, shard_of, shards_of
from ._calls import ShardOutcomeUnknown, check_timeout
from ._rows import packed_rows
from ._shard import STATS_COUNTS

_NO_DISTANCE = np.iinfo(np.uint32).max
# Collection.search's options that a cluster search passes to every shard.
_SEARCH_OPTIONS = ("device", "exact", "nprobe", "ef", "candidates", "threads")
Key = Union[str, bytes, int]
Keys = Union[Iterable[Key], np.ndarray]


@dataclasses.dataclass
class ClusterSearchStats:
    """How a cluster search ran. seconds is the driver's wall time from the
    fan-out to the merged answer; merge_seconds the merge alone; shards one
    dict per answering shard (shard, seconds inside hvdb, rows_scanned,
    index, device, kernel, reason)."""
    queries: int
    rows_scanned: int
    seconds: float
    merge_seconds: float
    shards: list


@dataclasses.dataclass
class ClusterSearchResult:
    """keys, distances and counts as hvdb.SearchResult has them (nearest
    first; ties by shard, then by insertion order within the shard; padded
    with 2**32-1 and, for integer keys, -1). missing_shards lists the shards
    left out of a search with allow_partial=True, errors says why for each;
    both are empty for a complete answer."""
    keys: object
    distances: np.ndarray
    counts: object
    stats: ClusterSearchStats
    missing_shards: list
    errors: dict


@dataclasses.dataclass
class ClusterLoadResult:
    """rows loaded in all; first_row_number, for rows loaded without keys, the
    number of the first (rows are numbered on from it, in order); rows_per_shard
    the rows each shard loaded; seconds the driver's wall time; shard_seconds
    the time each shard spent loading (inside hvdb, or for files from opening
    the first to the end of the last load); replaced the rows whose key was
    already there (as hvdb.BulkLoadResult.replaced)."""
    rows: int
    first_row_number: object
    rows_per_shard: list
    seconds: float
    shard_seconds: list
    replaced: int


def _npy_rows_here(paths):
    """The rows of the .npy files read from their headers, or None when the
    driver cannot read one (the files may be on the shards' nodes only)."""
    total = 0
    for path in paths:
        try:
            total += len(np.load(path, mmap_mode="r", allow_pickle=False))
        except (OSError, ValueError, TypeError):
            return None
    return total


def _group(keys, owners, shards):
    """{shard: (row indices, that shard's keys)} for the shards owning any key."""
    groups = {}
    for shard in range(shards):
        index = np.nonzero(owners == shard)[0]
        if len(index):
            part = keys[index] if isinstance(keys, np.ndarray) else [keys[i] for i in index]
            groups[shard] = (index, part)
    return groups


class ShardedCollection:
    """One collection, split over every shard of a Cluster by key.

    Single-key calls go to the key's shard; many-key calls send one call per
    shard, all at once; searches go to every shard and are merged on the
    driver. Atomicity is per shard: put_many, delete_many and bulk_load are
    all or nothing on each shard, not across shards (an error names the shard
    that failed and says what the others wrote; every call is idempotent, so
    running it again completes it). Safe to share between threads."""

    def __init__(self, cluster, name, dim, key_type):
        self._cluster = cluster
        self._calls = cluster._calls
        self.name = name
        self.dim = dim
        self.key_type = key_type

    def __repr__(self):
        return (f"ShardedCollection(name={self.name!r}, dim={self.dim}, "
                f"shards={len(self._calls)}, keys={self.key_type.__name__})")

    @property
    def shards(self) -> int:
        return len(self._calls)

    @property
    def item_memory_seed(self) -> int:
        """The seed of the collection's item memory, the same on every shard."""
        return self._calls.call(0, "describe_collection", self.name)["item_memory_seed"]

    @property
    def index(self) -> dict:
        """The index kind and options (shard 0's; set_index sets every shard's)."""
        return self._calls.call(0, "describe_collection", self.name)["index"]

    # --- one key ----------------------------------------------------------
    def _one(self, vector):
        rows, _ = packed_rows(vector, self.dim, what="vector")
        if len(rows) != 1:
            raise InvalidArgument(f"vector has {len(rows)} rows; give one vector, or use put_many")
        return rows[0]

    def put(self, key: Key, vector: ArrayLike) -> None:
        """Stores vector under key on the key's shard (durable when it returns)."""
        data = key_bytes(key)
        self._calls.call(shard_of(data, self.shards), "put", self.name, data, self._one(vector))

    def get(self, key: Key, unpack: bool = False) -> np.ndarray:
        """The vector of key (packed uint8, or bool with unpack=True); NotFound if absent."""
        data = key_bytes(key)
        vector = self._calls.call(shard_of(data, self.shards), "get", self.name, bytes, data)
        return np.unpackbits(vector, bitorder="little").astype(bool) if unpack else vector

    def delete(self, key: Key) -> None:
        """Deletes key (nothing happens when it is absent, as in hvdb)."""
        data = key_bytes(key)
        self._calls.call(shard_of(data, self.shards), "delete", self.name, data)

    def __contains__(self, key: Key) -> bool:
        data = key_bytes(key)
        return self._calls.call(shard_of(data, self.shards), "contains", self.name, data)

    def __len__(self) -> int:
        return sum(self._calls.call_all("count", self.name).values())

    def counts(self) -> "list[int]":
        """The rows of each shard, in shard order."""
        counts = self._calls.call_all("count", self.name)
        return [counts[s] for s in range(self.shards)]

    # --- many keys ----------------------------------------------------------
    def _split(self, keys, rows=None):
        keys = normalize_keys(keys)
        if rows is not None and len(rows) != len(keys):
            raise InvalidArgument(f"{len(keys)} keys for {len(rows)} rows")
        return keys, _group(keys, shards_of(keys, self.shards), self.shards)

    def _write(self, method, calls, rows_of, again="running the same call again completes it"):
        """Runs per-shard writes; on a failure, says what the other shards
        wrote. rows_of is {shard: rows it writes}, or None for a load of files
        (all or nothing per file and shard, so a failing shard may have loaded
        the files before the one named)."""
        results, errors = self._calls.call_many(calls, allow_partial=True)
        if not errors:
            return results
        first = errors[min(errors)]
        done = sorted(results)
        unknown = sorted(s for s, e in errors.items() if isinstance(e, ShardOutcomeUnknown))
        failed = sorted(s for s in errors if s not in unknown)
        parts = []
        if done:
            parts.append(f"shards {done} wrote their {sum(rows_of[s] for s in done)} rows" if rows_of is not None
                         else f"shards {done} loaded every file")
        if failed:
            parts.append(f"shards {failed} wrote nothing" if rows_of is not None
                         else f"shards {failed} failed, keeping the files they loaded before")
        if unknown:
            parts.append(f"shards {unknown} did not answer and may still write their part")
        unit = "per shard" if rows_of is not None else "per file and shard"
        raise type(first)(f"{first} ({method} is all or nothing {unit}: {', '.join(parts)}; {again})")

    def put_many(self, keys: Keys, vectors: ArrayLike) -> None:
        """Stores rows (n, D/8) under n keys: one call per shard, all at once."""
        rows, _ = packed_rows(vectors, self.dim)
        _, groups = self._split(keys, rows)
        calls = {s: ("put_many", (self.name, part, rows[index])) for s, (index, part) in groups.items()}
        self._write("put_many", calls, {s: len(g[0]) for s, g in groups.items()})

    def get_many(self, keys: Keys, unpack: bool = False) -> np.ndarray:
        """The rows of keys, in their order; NotFound naming the first absent key."""
        normalized, groups = self._split(keys)
        calls = {s: ("get_many", (self.name, part)) for s, (_, part) in groups.items()}
        results, _ = self._calls.call_many(calls)
        out = np.empty((len(normalized), self.dim // 8), dtype=np.uint8)
        for s, (index, _) in groups.items():
            out[index] = results[s]
        return np.unpackbits(out, axis=1, bitorder="little").astype(bool) if unpack else out

    def delete_many(self, keys: Keys) -> None:
        """Deletes keys (absent ones are skipped, as in hvdb): one call per shard."""
        _, groups = self._split(keys)
        calls = {s: ("delete_many", (self.name, part)) for s, (_, part) in groups.items()}
        self._write("delete_many", calls, {s: len(g[0]) for s, g in groups.items()})

    def next_row_number(self) -> int:
        """The number a bulk load without keys gives its first row: one past
        the largest decimal key on any shard (0 when there is none)."""
        return max(self._calls.call_all("next_row_number", self.name).values())

    def bulk_load(self, source: "ArrayLike | str | os.PathLike[str] | Sequence[str | os.PathLike[str]]",
                  *, keys: Optional[Keys] = None,
                  first_row_number: Optional[int] = None) -> ClusterLoadResult:
        """Loads rows, each shard its own part, all shards at once.

        source is rows in memory (packed uint8 (n, D/8) or bool (n, D)), or a
        .npy file name, or a list of them. Files are read by the shards, so
        each must be readable at that path where every shard runs (a shared or
        copied file system); every shard memory-maps each file and loads the
        rows that route to it, one all-or-nothing load per file. Rows in
        memory are split on the driver and sent to their shards (through
        Ray's object store). Without keys, rows are numbered from
        first_row_number (default: next_row_number()), in order across the
        files, and the numbers are their keys. Keyless loads from this
        process run one at a time (each numbers from where the last ended);
        from several processes at once, give each its first_row_number."""
        started = time.monotonic()
        if isinstance(source, (str, bytes, os.PathLike)):
            source = [source]
        files = isinstance(source, (list, tuple)) and len(source) > 0 and all(
            isinstance(p, (str, bytes, os.PathLike)) for p in source)
        if files and keys is not None:
            raise InvalidArgument("keys= is for rows in memory; rows loaded from files are numbered")
        if keys is not None and first_row_number is not None:
            raise InvalidArgument("give keys= or first_row_number=, not both")
        if first_row_number is not None and (
                isinstance(first_row_number, (bool, np.bool_)) or
                not isinstance(first_row_number, (int, np.integer)) or
                not 0 <= first_row_number <= MAX_INT_KEY):
            raise InvalidArgument(f"first_row_number must be an int in 0..2**63-1, not {first_row_number!r}")
        if isinstance(source, (list, tuple)) and len(source) == 0:
            raise InvalidArgument("nothing to load: source is an empty list (give rows or .npy file names)")
        rows = None if files else packed_rows(source, self.dim, what="rows")[0]
        if keys is not None:
            return self._load(rows, normalize_keys(keys), None, started)
        paths = [os.path.abspath(os.fsdecode(p)) for p in source] if files else None  # a shard's cwd is not ours
        for path in paths or ():
            try:
                path.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidArgument(f"file name {path!r} is not valid UTF-8, which Ray cannot pass "
                                      "to a shard: rename the file") from None
        with self._cluster._keyless_load_lock:
            # Past the numbers this process handed out too: a load that failed or
            # timed out may still be landing on some shard.
            handed_out = self._cluster._numbers_handed_out
            first = (max(self.next_row_number(), handed_out.get(self.name, 0))
                     if first_row_number is None else int(first_row_number))
            count = _npy_rows_here(paths) if files else len(rows)
            if count is not None:
                if count and first + count - 1 > MAX_INT_KEY:
                    raise InvalidArgument(f"numbering {count} rows from {first} passes 2**63-1")
                handed_out[self.name] = max(handed_out.get(self.name, 0), first + count)
            if files:
                per_shard = self._write("bulk_load", {
                    s: ("bulk_load_files", (self.name, paths, first)) for s in range(self.shards)},
                    None, self._again(first))
                return self._result(per_shard, first, started)
            return self._load(rows, np.arange(first, first + len(rows), dtype=np.int64), first, started)

    @staticmethod
    def _again(first):
        """The advice after a failed load: its first_row_number, when it had one."""
        if first is None:
            return "running the same call again completes it"
        return (f"the rows were numbered from {first}: running it again with "
                f"first_row_number={first} completes it")

    def _load(self, rows, keys, first, started):
        keys, groups = self._split(keys, rows)
        per_shard = self._write("bulk_load", {
            s: ("bulk_load", (self.name, rows[index], part)) for s, (index, part) in groups.items()},
            {s: len(g[0]) for s, g in groups.items()}, self._again(first))
        return self._result(per_shard, first, started)

    def _result(self, per_shard, first, started):
        counts = [per_shard[s][0] if s in per_shard else 0 for s in range(self.shards)]
        seconds = [per_shard[s][1] if s in per_shard else 0.0 for s in range(self.shards)]
        replaced = sum(per_shard[s][2] for s in per_shard)
        return ClusterLoadResult(sum(counts), first, counts, time.monotonic() - started, seconds,
                                 replaced)

    # --- search -------------------------------------------------------------
    def search(self, queries: ArrayLike, k: Optional[int] = 10, radius: Optional[int] = None, *,
               allow_partial: bool = False, timeout: Optional[float] = None,
               **options: "str | bool | int") -> ClusterSearchResult:
        """The k nearest rows of every query over all shards, or those within radius.

        queries is one vector or rows; options are hvdb.Collection.search's
        (device, exact, nprobe, ef, candidates, threads), given to each shard.
        Every shard answers its top k; the driver merges them by (distance,
        shard, rank in shard), so the answer is the one a single hvdb holding
        shard 0's rows, then shard 1's, ... gives. A shard that does not
        answer within timeout seconds (the cluster's default when None) or
        fails raises an error naming it, unless allow_partial=True: then the
        result leaves it out and lists it in missing_shards (and why, in
        errors)."""
        started = time.monotonic()
        rows, one = packed_rows(queries, self.dim, what="queries")
        for name, value in (("k", k), ("radius", radius)):
            if value is not None and (isinstance(value, (bool, np.bool_)) or
                                      not isinstance(value, (int, np.integer)) or value < 0):
                raise InvalidArgument(f"{name} must be an int >= 0 or None, not {value!r}")
        unknown = sorted(set(options) - set(_SEARCH_OPTIONS))
        if unknown:
            raise TypeError(f"search() got an unexpected keyword argument {unknown[0]!r}; its options "
                            f"are k, radius, {', '.join(_SEARCH_OPTIONS)}, allow_partial and timeout")
        if timeout is not None:
            check_timeout(timeout)
        # One copy of the queries in Ray's object store, read by every shard.
        shared = ray.put(rows) if self.shards > 1 else rows
        calls = {s: ("search", (self.name, self.key_type, shared, k, radius, options))
                 for s in range(self.shards)}
        answers, errors = self._calls.call_many(calls, timeout=timeout, allow_partial=allow_partial)
        if not answers:
            raise next(iter(errors.values())) if errors else Error("no shard answered")
        merge_started = time.monotonic()
        keys, distances, counts = _merge([answers[s] for s in sorted(answers)], self.key_type,
                                         len(rows), k or 0)
        merged = time.monotonic()
        shard_stats = [dict(answers[s][3], shard=s) for s in sorted(answers)]
        stats = ClusterSearchStats(len(rows), sum(s["rows_scanned"] for s in shard_stats),
                                   merged - started, merged - merge_started, shard_stats)
        if one:
            keys, distances, counts = keys[0], distances[0], int(counts[0])
        return ClusterSearchResult(keys, distances, counts, stats, sorted(errors),
                                   {s: str(e) for s, e in errors.items()})

    # --- index and stats ------------------------------------------------------
    def set_index(self, kind: str, **options: "int | float") -> None:
        """Sets the index of every shard (each builds its own over its rows)."""
        self._calls.call_all("set_index", self.name, kind, options)

    def stats(self) -> dict:
        """{field: sum over shards} of CollectionStats' counts, and 'shards':
        each shard's own dict."""
        per_shard = self._calls.call_all("stats", self.name)
        shards = [dict(per_shard[s], shard=s) for s in range(self.shards)]
        total = {f: sum(s[f] for s in shards) for f in STATS_COUNTS}
        total["shards"] = shards
        return total


def _merge(answers, key_type, nq, k):
    """(keys, distances, counts) of the shards' answers (in shard order), each
    (keys, distances (nq, w), counts (nq,), stats), merged by (distance,
    shard, rank). k = 0 keeps every hit (a radius search)."""
    # Every shard was sent 2-D queries, so answers are (nq, width) and (nq,).
    distances = np.concatenate([a[1] for a in answers], axis=1)
    total = np.sum([a[2] for a in answers], axis=0).astype(np.int64)
    width = k if k else (int(total.max()) if nq else 0)
    counts = np.minimum(total, width)
    order = np.argsort(distances, axis=1, kind="stable")[:, :width]
    merged_distances = np.take_along_axis(distances, order, axis=1)
    if key_type is int:
        keys = np.concatenate([a[0] for a in answers], axis=1)
        merged_keys = np.take_along_axis(keys, order, axis=1)
        merged_keys[merged_distances == _NO_DISTANCE] = -1
        return merged_keys, merged_distances, counts
    table = np.empty(distances.shape, dtype=object)
    offset = 0
    for keys, shard_distances, _, _ in answers:
        w = shard_distances.shape[1]
        for q in range(nq):
            row = keys[q]
            table[q, offset:offset + len(row)] = row
        offset += w
    picked = np.take_along_axis(table, order, axis=1)
    return [list(picked[q, :counts[q]]) for q in range(nq)], merged_distances, counts

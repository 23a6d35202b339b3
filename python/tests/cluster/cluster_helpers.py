"""Helpers of the cluster tests: numpy references and the single hvdb to compare with."""
import numpy as np

import hvdb
import hvdb.cluster


def hamming(rows, query):
    """Distances of every row to query, by numpy alone (the reference)."""
    return np.unpackbits(rows ^ query, axis=-1).sum(axis=-1).astype(np.int64)


def single_hvdb_like(path, shards, rows, keys, dim, key_type=int):
    """One hvdb collection holding the rows a cluster of shards holds, in the
    order that makes its answers the cluster's: shard 0's rows (in their
    order), then shard 1's, ..."""
    normalized = hvdb.cluster._routing.normalize_keys(keys)
    owners = hvdb.cluster._routing.shards_of(normalized, shards)
    order = np.concatenate([np.nonzero(owners == s)[0] for s in range(shards)])
    db = hvdb.open(path, sync=False)
    col = db.create_collection("c", dim=dim, keys=key_type)
    ordered_keys = normalized[order] if isinstance(normalized, np.ndarray) else [normalized[i] for i in order]
    col.bulk_load(np.ascontiguousarray(rows[order]), keys=ordered_keys)
    return db, col

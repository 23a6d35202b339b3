"""Growing (or shrinking) a cluster: a copy into a new cluster of another shard count."""
import os
import uuid
from typing import TYPE_CHECKING, Callable, Optional

from .. import _errors

if TYPE_CHECKING:
    from . import Cluster


def reshard(source: "Cluster", root: "str | os.PathLike[str]", shards: int, *,
            progress: Optional[Callable[[str, int, int], None]] = None, chunk_rows: int = 16384,
            **open_options: object) -> "Cluster":
    """Copies every collection of the cluster source into the cluster at root
    with shards shards (created when absent), and returns it open.

    Each collection is created in the new cluster with the same dim, item
    memory seed and index; its rows are read from each source shard in
    chunks of chunk_rows, in insertion order, and written to the new shards
    with put_many. progress(collection, rows_copied, rows_total) is called
    when a collection starts (rows_copied 0) and after every chunk. The
    source stays as it was and may keep serving searches; writes made to it
    during the copy may be missed, so stop writing first. A collection on
    some source shards only (an interrupted create or drop) is refused,
    naming it; one left half made in the target by an interrupted reshard is
    made again. The copy is idempotent: if it fails (a shard down), run
    it again with the same arguments. open_options go to hvdb.cluster.open
    for the new cluster."""
    from . import open as open_cluster
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise _errors.InvalidArgument(f"chunk_rows must be an int >= 1, not {chunk_rows!r}")
    if "item_memory_seed" in open_options:
        raise _errors.InvalidArgument("reshard keeps the source's item_memory_seed; leave it out")
    source._check_open()
    partial = {name: have for name, have in source._presence().items() if len(have) != source.shards}
    if partial:
        name, have = sorted(partial.items())[0]
        raise _errors.InvalidArgument(
            f"collection {name!r} is on shards {have} of {source.shards} only (an interrupted create "
            f"or drop): drop_collection({name!r}) or create it again, then reshard")
    target = open_cluster(root, shards=shards, item_memory_seed=source.item_memory_seed,
                          **open_options)
    try:
        presence = target._presence()
        for name in source.collections():
            if name in presence and len(presence[name]) != target.shards:
                target.drop_collection(name)  # left half made by an interrupted reshard
                del presence[name]
            _copy_collection(source, target, name, set(presence), progress, chunk_rows)
    except BaseException:
        target.close()
        raise
    return target


def _copy_collection(source, target, name, existing, progress, chunk_rows):
    from_collection = source.collection(name, keys=bytes)
    described = source._calls.call(0, "describe_collection", name)
    if name in existing:
        to_collection = target.collection(name, keys=bytes)
        if to_collection.dim != from_collection.dim:
            raise _errors.InvalidArgument(
                f"collection {name!r} has dim {to_collection.dim} in {target.root}, "
                f"{from_collection.dim} in {source.root}")
    else:
        to_collection = target.create_collection(
            name, from_collection.dim, keys=bytes,
            item_memory_seed=described["item_memory_seed"])
    index = dict(described["index"])
    kind = index.pop("kind", "flat")
    total = len(from_collection)
    copied = 0
    if progress is not None:
        progress(name, copied, total)
    for shard in range(source.shards):
        scan = uuid.uuid4().hex
        source._calls.call(shard, "scan_open", name, scan)
        try:
            while True:
                keys, rows = source._calls.call(shard, "scan_next", scan, chunk_rows)
                if not keys:
                    break
                to_collection.put_many(keys, rows)
                copied += len(keys)
                if progress is not None:
                    progress(name, copied, total)
        finally:
            try:
                source._calls.call(shard, "scan_close", scan)
            except _errors.Error:
                pass  # a shard that restarted has no scan to close
    if kind != "flat":
        to_collection.set_index(kind, **index)

"""One shard: a Ray actor that owns a local hvdb database.

Its directory, ROOT/shard-NNNN on the node it runs on, holds cluster.json
(which cluster and which shard this is) and db/ (the hvdb database). The
constructor only ever opens: a shard that Ray restarts after a crash reopens
its durable database, and one whose directory is gone reports that on every
call rather than serving an empty shard. Only create(), called once by the
driver that creates the cluster, makes a new one.

The actor runs several calls at once (max_concurrency): hvdb is thread safe
and releases the GIL, so searches overlap each other and writes. Ray retries
a call whose shard died (the actor's max_task_retries=-1), which is safe for
every call that can run twice; those that cannot (creating the shard, a
collection or a checkpoint) are marked max_task_retries=0, so a death during
one is reported instead.
"""
import json
import os
import shutil
import threading
import time

import numpy as np
import ray

import hvdb

_NOT_RETRIED = ray.method(max_task_retries=0)
# The counts of hvdb.CollectionStats a shard reports (and a cluster sums).
STATS_COUNTS = ("count", "cache_rows", "deleted_rows", "key_bytes", "memory_bytes", "disk_bytes",
                "index_bytes", "gpu_bytes")
FORMAT = "hvdb-cluster"
FORMAT_VERSION = 1
_IDENTITY_MAX_BYTES = 64 * 1024


def shard_path(root, shard):
    return os.path.join(os.fspath(root), f"shard-{shard:04d}")


def read_identity(path):
    """cluster.json of the shard directory path: a dict, None when absent,
    Corruption naming the file when it is not one this version wrote."""
    name = os.path.join(path, "cluster.json")
    try:
        with open(name, "rb") as f:
            raw = f.read(_IDENTITY_MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise hvdb.IOError(f"{name}: {e.strerror}") from None
    if len(raw) > _IDENTITY_MAX_BYTES:
        raise hvdb.Corruption(f"{name}: larger than {_IDENTITY_MAX_BYTES} bytes")
    try:
        identity = json.loads(raw)
    except ValueError as e:
        raise hvdb.Corruption(f"{name}: not JSON ({e})") from None
    fields = {"format": str, "version": int, "cluster_id": str, "shard": int, "shards": int,
              "item_memory_seed": int}
    if not isinstance(identity, dict) or any(
            not isinstance(identity.get(k), t) for k, t in fields.items()):
        raise hvdb.Corruption(f"{name}: not an hvdb cluster shard identity (fields {sorted(fields)})")
    if identity["format"] != FORMAT or identity["version"] != FORMAT_VERSION:
        raise hvdb.Corruption(
            f"{name}: format {identity['format']!r} version {identity['version']}; "
            f"this hvdb reads {FORMAT!r} version {FORMAT_VERSION}")
    return identity


def _write_durably(name, data):
    """Writes name through a temporary file, fsync and rename, then syncs the directory."""
    tmp = name + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, name)
    dfd = os.open(os.path.dirname(name), os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class Shard:
    """The actor's class (the driver wraps it with ray.remote)."""

    def __init__(self, root, shard, shards, db_options):
        self._shard = shard
        self._shards = shards
        self._path = shard_path(root, shard)
        self._db_options = dict(db_options)
        self._db = None
        self._identity = None
        self._error = None  # why the shard cannot serve (raised by every call)
        self._handles = {}  # (collection, key type) -> hvdb.Collection
        self._scans = {}  # scan id -> (iterator, collection)
        self._lock = threading.Lock()  # guards _handles and _scans
        try:
            identity = read_identity(self._path)
            if identity is not None:
                self._open(identity)
        except hvdb.Error as e:
            self._error = e

    def _open(self, identity):
        if identity["shard"] != self._shard or identity["shards"] != self._shards:
            raise hvdb.Corruption(
                f"{self._path} holds shard {identity['shard']} of {identity['shards']}, "
                f"expected shard {self._shard} of {self._shards}")
        self._db = hvdb.open(os.path.join(self._path, "db"), create_if_missing=False,
                             item_memory_seed=identity["item_memory_seed"], **self._db_options)
        self._identity = identity

    def _database(self):
        if self._error is not None:
            raise type(self._error)(str(self._error))
        if self._db is None:
            raise hvdb.Unavailable(f"{self._path} has no hvdb cluster shard on this node "
                                   "(restore it, then reopen the cluster)")
        return self._db

    def _collection(self, name, key_type):
        with self._lock:
            handle = self._handles.get((name, key_type))
        if handle is None:
            handle = self._database().collection(name, keys=key_type)
            with self._lock:
                self._handles[(name, key_type)] = handle
        return handle

    # --- the shard itself -------------------------------------------------
    def describe(self):
        """This shard's identity (dict) and pid, or None when its directory has none."""
        if self._error is not None:
            raise type(self._error)(str(self._error))
        if self._identity is None:
            return None
        return dict(self._identity, pid=os.getpid(), path=self._path)

    @_NOT_RETRIED
    def create(self, cluster_id, item_memory_seed):
        """Makes this shard's directory and database (the driver's create only).
        An empty database there without cluster.json is what a create
        interrupted before its last step leaves (cluster.json is written
        last): it was never a shard and is made again. One holding
        collections is refused: it is data whose cluster.json was lost."""
        if self._identity is not None or read_identity(self._path) is not None:
            raise hvdb.AlreadyExists(f"{self._path} already holds a cluster shard")
        db_path = os.path.join(self._path, "db")
        if os.path.exists(db_path):
            try:
                with hvdb.open(db_path, create_if_missing=False, read_only=True) as leftover:
                    names = leftover.collections()
            except hvdb.Error as e:
                raise type(e)(f"{db_path} is in the way of a new shard ({e}); move it away") from None
            if names:
                raise hvdb.Corruption(
                    f"{db_path} holds collections {names} but {self._path} has no cluster.json; "
                    "restore cluster.json (from a checkpoint or another shard's, with this "
                    "shard's number) rather than create a new cluster over it")
            shutil.rmtree(db_path)
        os.makedirs(self._path, exist_ok=True)
        identity = {"format": FORMAT, "version": FORMAT_VERSION, "cluster_id": cluster_id,
                    "shard": self._shard, "shards": self._shards,
                    "item_memory_seed": item_memory_seed}
        hvdb.open(os.path.join(self._path, "db"), error_if_exists=True,
                  item_memory_seed=item_memory_seed, **self._db_options).close()
        _write_durably(os.path.join(self._path, "cluster.json"),
                       json.dumps(identity, indent=1).encode())
        self._open(identity)
        return self.describe()

    @_NOT_RETRIED
    def remove_new(self):
        """Removes a shard that create() just made and that holds no
        collection (the rollback of a cluster creation that failed elsewhere)."""
        if self._db is None or self._db.collections():
            raise hvdb.InvalidArgument(f"{self._path} is not a new, empty shard")
        self._db.close()
        self._db = self._identity = None
        shutil.rmtree(self._path)

    def whereabouts(self):
        """Where this shard runs and whether it serves (has its database open)."""
        return {"path": self._path, "pid": os.getpid(),
                "node": ray.get_runtime_context().get_node_id(),
                "serving": self._db is not None and self._error is None}

    def close(self):
        with self._lock:
            for iterator, _ in self._scans.values():
                iterator.close()
            self._scans.clear()
            self._handles.clear()
        if self._db is not None:
            self._db.close()

    def checkpoint_target_free(self, root):
        """AlreadyExists when checkpoint(root) would be refused here."""
        target = shard_path(root, self._shard)
        if os.path.exists(target):
            raise hvdb.AlreadyExists(f"{target} exists; a checkpoint goes into a new directory")

    @_NOT_RETRIED
    def checkpoint(self, root):
        """Copies this shard (its identity and a RocksDB checkpoint of its
        database) to root/shard-NNNN on this node, which must not exist."""
        db = self._database()
        target = shard_path(root, self._shard)
        if os.path.exists(target):
            raise hvdb.AlreadyExists(f"{target} exists; a checkpoint goes into a new directory")
        os.makedirs(target)
        db.checkpoint(os.path.join(target, "db"))
        _write_durably(os.path.join(target, "cluster.json"), json.dumps(self._identity, indent=1).encode())

    def verify(self):
        self._database().verify()

    # --- collections --------------------------------------------------------
    @_NOT_RETRIED
    def create_collection(self, name, dim, options):
        self._database().create_collection(name, dim, **options)

    def drop_collection(self, name):
        self._database().drop_collection(name)
        with self._lock:
            for handle_key in [k for k in self._handles if k[0] == name]:
                del self._handles[handle_key]

    def collections(self):
        """{name: dim} of every collection (one dropped meanwhile is left out)."""
        db = self._database()
        dims = {}
        for name in db.collections():
            try:
                dims[name] = db.collection(name).dim
            except hvdb.NotFound:
                pass
        return dims

    def describe_collection(self, name):
        c = self._collection(name, bytes)
        return {"dim": c.dim, "item_memory_seed": c.item_memory_seed, "index": c.index}

    def set_index(self, name, kind, options):
        self._collection(name, bytes).set_index(kind, **options)

    def stats(self, name):
        s = self._collection(name, bytes).stats()
        return {field: getattr(s, field) for field in STATS_COUNTS + ("index",)}

    # --- rows ---------------------------------------------------------------
    def count(self, name):
        return len(self._collection(name, bytes))

    def put(self, name, key, vector):
        self._collection(name, bytes).put(key, vector)

    def get(self, name, key_type, key):
        return self._collection(name, key_type).get(key)

    def contains(self, name, key):
        return key in self._collection(name, bytes)

    def delete(self, name, key):
        self._collection(name, bytes).delete(key)

    def put_many(self, name, keys, vectors):
        self._collection(name, bytes).put_many(keys, vectors)

    def get_many(self, name, keys):
        return self._collection(name, bytes).get_many(keys)

    def delete_many(self, name, keys):
        self._collection(name, bytes).delete_many(keys)

    def next_row_number(self, name):
        """The number a keyless bulk load would give its first row here."""
        c = self._collection(name, bytes)
        return c.bulk_load(np.zeros((0, c.dim // 8), dtype=np.uint8)).first_row_number

    def bulk_load(self, name, rows, keys):
        """(rows loaded, seconds inside hvdb, rows replaced)."""
        result = self._collection(name, bytes).bulk_load(rows, keys=keys)
        return result.rows, result.seconds, result.replaced

    def bulk_load_files(self, name, paths, first_row_number):
        """Loads this shard's rows of the .npy files: the rows numbered
        first_row_number on, in file order, whose number routes here. Each
        file is one all-or-nothing load. Returns (rows loaded, seconds, rows
        replaced), the seconds from the first file's opening to the last
        load's end."""
        from ._rows import load_npy_rows
        from ._routing import MAX_INT_KEY, shards_of
        c = self._collection(name, bytes)
        started = time.monotonic()
        loaded = replaced = 0
        number = first_row_number
        for path in paths:
            try:
                rows = load_npy_rows(path, c.dim)
                if len(rows) and number + len(rows) - 1 > MAX_INT_KEY:
                    raise hvdb.InvalidArgument(
                        f"{path}: numbering its {len(rows)} rows from {number} passes 2**63-1")
                numbers = np.arange(number, number + len(rows), dtype=np.int64)
                mine = shards_of(numbers, self._shards) == self._shard
                if mine.any():
                    result = c.bulk_load(np.ascontiguousarray(rows[mine]), keys=numbers[mine])
                    loaded += result.rows
                    replaced += result.replaced
            except hvdb.Error as e:
                done = f"; this shard loaded {loaded} rows of the files before it" if loaded else ""
                raise type(e)(f"{e}{done}" if str(e).startswith(str(path)) else f"{path}: {e}{done}") from None
            number += len(rows)
        return loaded, time.monotonic() - started, replaced

    def search(self, name, key_type, queries, k, radius, options):
        r = self._collection(name, key_type).search(queries, k=k, radius=radius, **options)
        s = r.stats
        stats = {"seconds": s.seconds, "rows_scanned": s.rows_scanned, "index": s.index,
                 "device": s.device, "kernel": s.kernel, "reason": s.plan.reason}
        return r.keys, r.distances, r.counts, stats

    # --- scans (resharding) -------------------------------------------------
    def scan_open(self, name, scan_id):
        iterator = iter(self._collection(name, bytes))
        with self._lock:
            self._scans[scan_id] = (iterator, name)

    def scan_close(self, scan_id):
        with self._lock:
            entry = self._scans.pop(scan_id, None)
        if entry is not None:
            entry[0].close()

    def scan_next(self, scan_id, rows):
        """Up to rows (key bytes list, packed rows) of an open scan; an empty list at the end."""
        with self._lock:
            entry = self._scans.get(scan_id)
        if entry is None:
            raise hvdb.Unavailable(
                f"{self._path}: scan {scan_id} is not open here (the shard restarted); run it again")
        iterator, _ = entry
        keys, vectors = [], []
        for key, vector in iterator:
            keys.append(key)
            vectors.append(vector)
            if len(keys) == rows:
                break
        if not keys:
            with self._lock:
                self._scans.pop(scan_id, None)
            iterator.close()
            return [], None
        return keys, np.stack(vectors)


"""hvdb.cluster: a database sharded over Ray actors, each embedding hvdb.

    import ray, hvdb.cluster
    ray.init()
    with hvdb.cluster.open("/data/words", shards=4) as cluster:
        words = cluster.create_collection("words", dim=2048)
        words.put("apple", hvdb.hdc.symbol("apple", 2048))
        hits = words.search(hvdb.hdc.symbol("apple", 2048), k=5)

Shard i is a Ray actor that owns the hvdb database ROOT/shard-NNNN (NNNN
= i, four digits) on the disk of the node it runs on (and the node's GPU with num_gpus=1). A key lives
on the shard fmix64(fnv1a64(key bytes)) mod shards; a search runs on every
shard and is merged on the driver, so it returns what one hvdb holding the
same rows would. Ray restarts a shard that dies; it reopens its database, and
calls made meanwhile wait for it within the timeout. The guide is
docs/scale-out.md.
"""
import math
import os
import threading
import time
import uuid
from typing import Optional, Sequence

try:
    import ray
except ImportError as e:  # pragma: no cover (the tests' .venv has Ray)
    raise ImportError("hvdb.cluster needs Ray: pip install 'ray>=2.9' "
                      "(or pip install 'hvdb[cluster]')") from e

from .. import _errors
from .._core import DEFAULT_ITEM_MEMORY_SEED
from ._calls import ShardOutcomeUnknown, ShardSet, ShardTimeout, check_timeout
from ._collection import (ClusterLoadResult, ClusterSearchResult, ClusterSearchStats,
                          ShardedCollection)
from ._reshard import reshard
from ._routing import shard_of
from ._shard import Shard, read_identity, shard_path

__all__ = ["Cluster", "ClusterLoadResult", "ClusterSearchResult", "ClusterSearchStats",
           "ShardedCollection", "open", "reshard", "shard_of"]

MAX_SHARDS = 4096
# hvdb.open options a cluster passes to every shard's database.
_DB_OPTIONS = ("write_buffer_bytes", "background_jobs", "gpu_memory_bytes", "sync")
_KEY_TYPES = (str, bytes, int)
_OPEN_OPTIONS = ("shards", "create_if_missing", "error_if_exists", "item_memory_seed", "timeout",
                 "num_cpus", "num_gpus", "placement", "max_concurrency")


def open(root: "str | os.PathLike[str]", *, shards: Optional[int] = None,  # noqa: A001
         create_if_missing: bool = True, error_if_exists: bool = False,
         item_memory_seed: Optional[int] = None, timeout: float = 60.0, num_cpus: Optional[float] = None,
         num_gpus: float = 0.0, placement: Optional[Sequence[str]] = None,
         max_concurrency: int = 4, **db_options: "int | bool") -> "Cluster":
    """Opens the cluster database at root, or creates it with shards shards.

    root: the directory that holds shard i as root/shard-NNNN, on the disk of
      the node where shard i runs (one machine: all of them under root).
    shards: the shard count, fixed at creation. Opening an existing cluster
      may leave it out when the driver can read root/shard-0000/cluster.json.
    timeout: seconds a call waits for its shards (also for a shard that Ray is
      restarting) before it raises Unavailable naming the shard.
    num_cpus: CPUs each shard actor holds. None (the default) holds none,
      Ray's default for actors: shards share their node's cores, and any
      number fit on a node. Give a share (say cores / shards per node) to
      keep other Ray work off the shards' cores.
    num_gpus: GPUs each shard actor holds (0 by default). With num_gpus=1 a
      shard's hvdb searches on its GPU; Ray then holds one CPU per shard too
      unless num_cpus says otherwise.
    placement: None, or one Ray node id per shard (ray.nodes()'s NodeID): the
      shard always runs on that node (its disk holds the shard's data), and
      if the node is gone its calls fail rather than reopen elsewhere empty.
    max_concurrency: calls one shard runs at once (threads in its actor).
    db_options: hvdb.open's write_buffer_bytes, background_jobs,
      gpu_memory_bytes and sync, for every shard's database.

    Starts Ray (ray.init()) when it is not running. Raises NotFound when
    there is no cluster, shards is given and create_if_missing is False
    (InvalidArgument asks for shards= when it is not), AlreadyExists with
    error_if_exists, Corruption when some shards have data and others none
    or the shards belong to different clusters, ResourceExhausted when the
    Ray cluster has not the CPUs or GPUs free that the shards ask for.
    A misspelt option raises TypeError naming it."""
    unknown = sorted(set(db_options) - set(_DB_OPTIONS))
    if unknown:
        raise TypeError(f"hvdb.cluster.open() got an unexpected keyword argument {unknown[0]!r}; "
                        f"its options are {', '.join(_OPEN_OPTIONS)} and the database options "
                        f"{', '.join(_DB_OPTIONS)}")
    root = os.path.abspath(os.fsdecode(root))
    if shards is None:
        identity = read_identity(shard_path(root, 0))
        if identity is None:
            raise _errors.InvalidArgument(
                f"give shards=: {shard_path(root, 0)}/cluster.json is not readable here "
                "(a new cluster, or shards on other nodes)")
        shards = identity["shards"]
    if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
        raise _errors.InvalidArgument(f"shards must be an int in 1..{MAX_SHARDS}, not {shards!r}")
    if placement is not None and len(placement) != shards:
        raise _errors.InvalidArgument(f"placement names {len(placement)} nodes for {shards} shards")
    check_timeout(timeout)
    try:
        root.encode("utf-8")
    except UnicodeEncodeError:
        raise _errors.InvalidArgument(f"root {root!r} is not valid UTF-8, which Ray cannot pass to "
                                      "a shard: use a UTF-8 path") from None
    for name, value in (("num_cpus", 0 if num_cpus is None else num_cpus), ("num_gpus", num_gpus)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise _errors.InvalidArgument(f"{name} must be a number >= 0, not {value!r}")
    if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
        raise _errors.InvalidArgument(f"max_concurrency must be an int >= 1, not {max_concurrency!r}")
    if not ray.is_initialized():
        ray.init()
    # Actors that cannot be placed would wait forever: refuse them now. A
    # cluster just closed gives its actors' resources back a moment later,
    # so look again for up to 5 seconds before refusing.
    cpus = 1 if num_cpus is None and num_gpus else num_cpus  # Ray's default beside GPUs
    wanted = {name: shards * each for name, each in (("CPU", cpus), ("GPU", num_gpus)) if each}
    deadline = time.monotonic() + min(5.0, timeout)
    free = ray.available_resources()
    while any(need > free.get(name, 0) for name, need in wanted.items()) and time.monotonic() < deadline:
        time.sleep(0.1)
        free = ray.available_resources()
    for name, each in (("CPU", cpus), ("GPU", num_gpus)):
        have = free.get(name, 0)
        if each and shards * each > have:
            share = math.floor(have / shards * 1e6) / 1e6  # rounded down, so that it fits
            advice = (f"give num_{name.lower()}s=0" if share == 0 else
                      f"give num_{name.lower()}s={share:g} or less")
            raise _errors.ResourceExhausted(
                f"{shards} shards x {each:g} {name} need {shards * each:g} {name}s; the Ray "
                f"cluster has {have:g} free ({advice})")

    actors = []
    for s in range(shards):
        options = dict(max_restarts=-1, max_task_retries=-1, max_concurrency=max_concurrency)
        # Only what was asked for: naming any resource (num_gpus=0 too) makes
        # Ray hold a CPU per actor rather than its actor default of none.
        if num_cpus is not None:
            options["num_cpus"] = num_cpus
        if num_gpus:
            options["num_gpus"] = num_gpus
        if placement is not None:
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(placement[s], soft=False)
        actors.append(ray.remote(Shard).options(**options).remote(root, s, shards, db_options))
    calls = ShardSet(actors, [shard_path(root, s) for s in range(shards)], timeout, root)
    try:
        return Cluster._start(root, calls, create_if_missing, error_if_exists, item_memory_seed)
    except BaseException:
        for actor in actors:
            ray.kill(actor, no_restart=True)
        raise


class Cluster:
    """A database whose collections are sharded over Ray actors (hvdb.cluster.open).

    Mirrors hvdb.Database: create_collection, collection, [name], in,
    collections, drop_collection, checkpoint, verify, close, and a with
    block; also shards, shard_info(), timeout (settable), and the
    attributes root, cluster_id and item_memory_seed. Collection creation
    and dropping run on every shard. Safe to share between threads; close()
    stops the shard actors (their data stays on disk)."""

    def __init__(self, root, calls, identity):
        self._calls = calls
        self.root = root
        self.cluster_id = identity["cluster_id"]
        self.item_memory_seed = identity["item_memory_seed"]
        # A keyless bulk load reads the next row number and loads from it:
        # two at once from this process would number their rows alike.
        self._keyless_load_lock = threading.Lock()
        self._numbers_handed_out = {}  # collection -> one past the last number given, guarded by that lock

    @classmethod
    def _start(cls, root, calls, create_if_missing, error_if_exists, item_memory_seed):
        try:
            identities = calls.call_all("describe")
        except ShardTimeout as e:
            raise ShardTimeout(
                f"{e} (a shard that Ray cannot place waits for its CPUs, GPUs or node: "
                "see ray.available_resources() and placement=)") from None
        missing = [s for s in range(len(calls)) if identities[s] is None]
        if len(missing) == len(calls):
            if not create_if_missing:
                raise _errors.NotFound(f"no hvdb cluster at {root} (create_if_missing=False)")
            seed = DEFAULT_ITEM_MEMORY_SEED if item_memory_seed is None else item_memory_seed
            cluster_id = uuid.uuid4().hex
            identities, errors = calls.call_many(
                {s: ("create", (cluster_id, seed)) for s in range(len(calls))}, allow_partial=True)
            if errors:
                # Remove the shards this call made, so that the next try starts clean
                # rather than finding some shards and not others.
                for s in identities:
                    try:
                        calls.call(s, "remove_new")
                    except _errors.Error:
                        pass  # the creation error below is the one to report
                raise errors[min(errors)]
        elif missing:
            raise _errors.Corruption(
                f"cluster at {root}: shards {missing} have no data ({calls.paths[missing[0]]} "
                f"has no cluster.json on its node) while the other shards do; restore them "
                "before opening (a missing shard is never recreated empty)")
        elif error_if_exists:
            raise _errors.AlreadyExists(f"an hvdb cluster exists at {root}")
        first = identities[0]
        for s in range(1, len(calls)):
            if identities[s]["cluster_id"] != first["cluster_id"]:
                raise _errors.Corruption(
                    f"cluster at {root}: shard {s} ({calls.paths[s]}) belongs to cluster "
                    f"{identities[s]['cluster_id']}, shard 0 to {first['cluster_id']}")
        if item_memory_seed is not None and item_memory_seed != first["item_memory_seed"]:
            raise _errors.InvalidArgument(
                f"cluster at {root} has item_memory_seed {first['item_memory_seed']}, "
                f"not {item_memory_seed}")
        return cls(root, calls, first)

    def __repr__(self):
        state = "closed" if self._calls.closed else f"{len(self._calls)} shards"
        return f"hvdb.cluster.Cluster({self.root!r}, {state})"

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    @property
    def shards(self) -> int:
        return len(self._calls)

    @property
    def timeout(self) -> float:
        """Seconds a call waits for its shards when it names no timeout of its
        own (open's timeout=); may be set."""
        return self._calls.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        check_timeout(seconds)
        self._calls.timeout = seconds

    def shard_info(self) -> "list[dict]":
        """One dict per shard: shard, path, pid (of its actor now), node (Ray
        node id) and serving (False when the shard has no data or cannot open it)."""
        info = self._calls.call_all("whereabouts")
        return [dict(info[s], shard=s) for s in range(self.shards)]

    def _check_open(self):
        if self._calls.closed:
            raise _errors.Unavailable(f"cluster at {self.root} is closed")

    def create_collection(self, name: str, dim: int, *, keys: type = str,
                          item_memory_seed: Optional[int] = None, compact_threshold: float = 0.1,
                          index: str = "flat", **index_options: "int | float") -> ShardedCollection:
        """Creates the collection on every shard (hvdb's create_collection
        arguments). If one shard refuses, the others' are dropped again. If
        one does not answer in time, nothing is undone (it may still create
        it) and the error says so: drop_collection(name) cleans up."""
        self._check_open()
        if keys not in _KEY_TYPES:
            raise _errors.InvalidArgument(f"keys must be str, bytes or int, not {keys!r}")
        options = dict(item_memory_seed=item_memory_seed, compact_threshold=compact_threshold,
                       index=index, **index_options)
        done, errors = self._calls.call_many(
            {s: ("create_collection", (name, dim, options)) for s in range(self.shards)},
            allow_partial=True)
        if errors:
            first = errors[min(errors)]
            if any(isinstance(e, ShardOutcomeUnknown) for e in errors.values()):
                raise type(first)(f"{first} (the collection may exist on some shards: "
                                  f"drop_collection({name!r}) and create it again)")
            for s in done:
                try:
                    self._calls.call(s, "drop_collection", name)
                except _errors.Error:
                    pass  # the error raised below is the one to report
            raise first
        return ShardedCollection(self, name, dim, keys)

    def collection(self, name: str, keys: type = str) -> ShardedCollection:
        """The collection name (keys: the type keys come back as); NotFound if absent."""
        self._check_open()
        if keys not in _KEY_TYPES:
            raise _errors.InvalidArgument(f"keys must be str, bytes or int, not {keys!r}")
        dims = {s: d["dim"] for s, d in self._calls.call_all("describe_collection", name).items()}
        if len(set(dims.values())) != 1:
            raise _errors.Corruption(f"collection {name!r} has dims {dims} on the shards")
        return ShardedCollection(self, name, dims[0], keys)

    def __getitem__(self, name: str) -> ShardedCollection:
        return self.collection(name)

    def __contains__(self, name: str) -> bool:
        return name in self.collections()

    def collections(self) -> "list[str]":
        """The names of the collections every shard has. A collection being
        created or dropped meanwhile, or whose creation or drop was
        interrupted, is on some shards only: it is not listed, collection()
        names the shards that lack it, and drop_collection() removes it."""
        return sorted(name for name, shards in self._presence().items() if len(shards) == self.shards)

    def _presence(self):
        """{name: the shards that have it} over the collections of any shard;
        Corruption when one name has different dims on the shards."""
        self._check_open()
        lists = self._calls.call_all("collections")
        names = set.union(*(set(lists[s]) for s in range(self.shards)))
        presence = {}
        for name in names:
            dims = {s: lists[s][name] for s in range(self.shards) if name in lists[s]}
            if len(set(dims.values())) != 1:
                raise _errors.Corruption(f"collection {name!r} has dims {dims} on the shards")
            presence[name] = sorted(dims)
        return presence

    def drop_collection(self, name: str) -> None:
        """Drops the collection on every shard; NotFound if no shard has it."""
        self._check_open()
        with self._keyless_load_lock:
            self._numbers_handed_out.pop(name, None)
        done, errors = self._calls.call_many(
            {s: ("drop_collection", (name,)) for s in range(self.shards)}, allow_partial=True)
        if errors and (not done or not all(isinstance(e, _errors.NotFound) for e in errors.values())):
            raise errors[min(errors)]

    def checkpoint(self, root: "str | os.PathLike[str]") -> None:
        """Copies the cluster to root: each shard writes root/shard-NNNN on
        its own node's disk (hard links where the file system allows, as
        hvdb's checkpoint). Each shard's copy is consistent; across shards the
        copy is of one moment only if no writes run meanwhile. The copy opens
        with hvdb.cluster.open(root) as the same cluster (same cluster id)."""
        self._check_open()
        target = os.path.abspath(os.fsdecode(root))
        self._calls.call_all("checkpoint_target_free", target)  # refused before any shard writes
        self._calls.call_all("checkpoint", target)

    def verify(self) -> None:
        """Compares every shard's collections in memory with its disk (hvdb's
        verify); raises Corruption naming the shard and the first difference."""
        self._check_open()
        self._calls.call_all("verify")

    def close(self) -> None:
        """Closes every shard's database and stops the actors. Twice is fine;
        later calls on the cluster and its collections raise Unavailable."""
        if self._calls.closed:
            return
        try:
            self._calls.call_all("close")
        finally:
            self._calls.closed = True
            for actor in self._calls.actors:
                ray.kill(actor, no_restart=True)

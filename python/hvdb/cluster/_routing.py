"""Which shard owns a key: fmix64(fnv1a64(key bytes)) mod shards.

A key's bytes are the ones the binding stores: a str as UTF-8
(surrogateescape), bytes as they are, an integer 0..2**63-1 as its decimal
digits. So 17, "17" and b"17" are one key on one shard. The function is part
of the on-disk contract (a cluster reopened by another version must route a
key to the shard that holds it): it never changes for a cluster format
version. Many keys are hashed with numpy, a column of bytes at a time.
"""
import numpy as np

from .._errors import InvalidArgument

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = (1 << 64) - 1
MAX_INT_KEY = (1 << 63) - 1  # the largest integer key (keys=int results are int64)


def key_bytes(key):
    """The stored bytes of one key, or InvalidArgument naming what it was."""
    if isinstance(key, str):
        return key.encode("utf-8", "surrogateescape")
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        value = int(key)
        if 0 <= value <= MAX_INT_KEY:
            return str(value).encode()
        raise InvalidArgument(f"integer key {value} is outside 0..2**63-1")
    raise InvalidArgument(f"a key is str, bytes or an int in 0..2**63-1, not {type(key).__name__}")


def _fmix64(h):
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK
    return h ^ (h >> 33)


def shard_of(key, shards):
    """The shard (0..shards-1) that owns key."""
    h = _FNV_OFFSET
    for byte in key_bytes(key):
        h = ((h ^ byte) * _FNV_PRIME) & _MASK
    return _fmix64(h) % shards


def _fmix64_array(h):
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def _shards_of_integers(values, shards):
    """shard_of for an int64 array of keys in 0..2**63-1, digit column by
    column from the most significant, over as many columns as the largest key has."""
    if shards == 1:
        return np.zeros(values.shape, dtype=np.int64)
    h = np.full(values.shape, _FNV_OFFSET, dtype=np.uint64)
    v = values.astype(np.uint64)
    digits = len(str(int(values.max()))) if len(values) else 1
    with np.errstate(over="ignore"):
        for position in range(digits - 1, -1, -1):
            power = np.uint64(10**position)
            digit = (v // power) % np.uint64(10) + np.uint64(ord("0"))
            mixed = (h ^ digit) * np.uint64(_FNV_PRIME)
            h = np.where(v >= power, mixed, h) if position else mixed
        return (_fmix64_array(h) % np.uint64(shards)).astype(np.int64)


def _shards_of_bytes(encoded, shards):
    """shard_of for a list of byte strings: byte column p of every key longer than p."""
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    flat = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(encoded) else lengths
    h = np.full(len(encoded), _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for position in range(int(lengths.max()) if len(encoded) else 0):
            rows = np.nonzero(lengths > position)[0]
            column = flat[starts[rows] + position].astype(np.uint64)
            h[rows] = (h[rows] ^ column) * np.uint64(_FNV_PRIME)
        return (_fmix64_array(h) % np.uint64(shards)).astype(np.int64)


def normalize_keys(keys):
    """Many keys as the binding takes them: an int64 numpy array for integer keys
    (a numpy integer array, a range, or a list of ints), else a list of bytes.
    Raises InvalidArgument naming the first bad key."""
    if isinstance(keys, (str, bytes, bytearray, memoryview, int, np.integer)):
        raise InvalidArgument(f"keys is one key ({type(keys).__name__}); give a list of keys")
    if isinstance(keys, range):
        keys = np.arange(keys.start, keys.stop, keys.step, dtype=np.int64)
    if isinstance(keys, np.ndarray):
        if keys.ndim != 1:
            raise InvalidArgument(f"keys has shape {keys.shape}; give one key per row (1-D)")
        if keys.dtype.kind in "iu":
            if len(keys) and (keys.min() < 0 or (keys.dtype == np.uint64 and keys.max() > MAX_INT_KEY)):
                raise InvalidArgument("integer keys must be in 0..2**63-1")
            return keys.astype(np.int64)
        keys = keys.tolist()
    try:
        keys = list(keys)
    except TypeError:
        raise InvalidArgument(f"keys must be a list, range or numpy array of keys, not "
                              f"{type(keys).__name__}") from None
    if keys and all(isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)) for k in keys):
        for k in keys:
            if not 0 <= int(k) <= MAX_INT_KEY:
                raise InvalidArgument(f"integer key {int(k)} is outside 0..2**63-1")
        return np.array(keys, dtype=np.int64)
    return [key_bytes(k) for k in keys]


def shards_of(keys, shards):
    """The owning shard of each key of normalize_keys(keys), as an int64 array."""
    if isinstance(keys, np.ndarray):
        return _shards_of_integers(keys, shards)
    return _shards_of_bytes(keys, shards)

"""Vectors as packed rows, checked on the driver before any shard sees them,
so a bad shape is one error naming the input rather than one per shard."""
import os

import numpy as np

from .._errors import InvalidArgument, IOError as HvdbIOError


def packed_rows(vectors, dim, what="vectors"):
    """(rows (n, dim/8) uint8 C-contiguous, one) from packed uint8 rows or bool
    rows, one vector or many. one is True for a single vector (a 1-D input)."""
    if isinstance(vectors, (bytes, bytearray, memoryview)):
        vectors = np.frombuffer(vectors, dtype=np.uint8)  # the buffer protocol, as hvdb takes it
    array = np.asarray(vectors)
    width = dim // 8
    one = array.ndim == 1
    rows = array[np.newaxis] if one else array
    if rows.ndim != 2:
        raise InvalidArgument(f"{what} has shape {array.shape}; give (n, {width}) packed "
                              f"uint8 rows or (n, {dim}) bool rows")
    if rows.dtype == np.bool_:
        if rows.shape[1] != dim:
            raise InvalidArgument(f"{what} has {rows.shape[1]} bool columns; the collection has dim {dim}")
        rows = np.packbits(rows, axis=1, bitorder="little")
    elif rows.dtype == np.uint8:
        if rows.shape[1] != width:
            raise InvalidArgument(
                f"{what} has {rows.shape[1]} bytes per row; dim {dim} packs into {width}")
    else:
        raise InvalidArgument(f"{what} has dtype {rows.dtype}; give packed uint8 or bool rows")
    return np.ascontiguousarray(rows), one


def load_npy_rows(path, dim):
    """The rows of a .npy file (memory-mapped), packed uint8 or bool."""
    try:
        array = np.load(os.fspath(path), mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise HvdbIOError(f"{path}: no such file") from None
    except (ValueError, OSError) as e:
        raise InvalidArgument(f"{path}: not a .npy file of rows ({e})") from None
    rows, one = packed_rows(array, dim, what=os.fspath(path))
    if one:
        raise InvalidArgument(f"{path}: one vector; a file to load holds rows (n, {dim // 8})")
    return rows

"""The exceptions hvdb raises: one per Status code of the C++ API, the
message unchanged. Each also derives from the builtin a caller would expect
to catch (ValueError for bad input, LookupError for absent keys, OSError for
file system errors)."""


class Error(Exception):
    """Every error hvdb raises: the Status of the C++ API, its message unchanged."""


class NotFound(Error, LookupError):
    """A key, collection or accumulator is absent."""


class InvalidArgument(Error, ValueError):
    """Bad input: a key, a shape, a dimension, an option. Nothing was written."""


class Corruption(Error):
    """Stored data failed its checksum or does not add up; it is never served."""


class IOError(Error, OSError):  # noqa: A001 (hvdb.IOError, as the C++ Status code)
    """The file system failed: a full disk, a failed fsync, no permission."""


class ResourceExhausted(Error):
    """A limit was reached: memory, a counter."""


class Unavailable(Error):
    """Not possible now: the database is closed or locked by another process, no GPU, writes stopped, cancelled."""


class AlreadyExists(Error):
    """What was to be created is there already."""


for _error in (Error, NotFound, InvalidArgument, Corruption, IOError, ResourceExhausted, Unavailable, AlreadyExists):
    _error.__module__ = "hvdb"
del _error

"""Calls to shard actors: one, or all at once within one deadline, with Ray's
failures turned into hvdb errors that name the shard."""
import math
import time

import ray
import ray.exceptions

from .. import _errors


def check_timeout(seconds):
    """InvalidArgument unless seconds is a finite number > 0 (a call's deadline)."""
    if (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or
            not 0 < seconds < math.inf):
        raise _errors.InvalidArgument(f"timeout must be a finite number of seconds > 0, not {seconds!r}")


class ShardOutcomeUnknown(_errors.Unavailable):
    """A shard gave no answer, so whether its call ran is unknown: it died or
    was restarting during a call Ray does not repeat, or it timed out."""


class ShardTimeout(ShardOutcomeUnknown):
    """A shard did not answer within the timeout. Its call may still run
    later (Ray keeps it queued), so what it writes is unknown, not nothing."""


class ShardSet:
    """The actor handles of a cluster, in shard order, and their paths."""

    def __init__(self, actors, paths, timeout, root):
        self.actors = actors
        self.paths = paths
        self.timeout = timeout
        self.root = root
        self.closed = False

    def __len__(self):
        return len(self.actors)

    def _named(self, shard, error):
        """error as an hvdb exception whose message names the shard."""
        where = f"shard {shard} ({self.paths[shard]})"
        if isinstance(error, ray.exceptions.RayTaskError):
            cause = error.cause
            if isinstance(cause, _errors.Error):
                return type(cause)(f"{where}: {cause}")
            return _errors.Error(f"{where}: {type(cause).__name__}: {cause}")
        if isinstance(error, (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError)):
            return ShardOutcomeUnknown(
                f"{where} is down or restarting, and the call may or may not have run: {error}")
        return _errors.Error(f"{where}: {type(error).__name__}: {error}")

    def call(self, shard, method, *args, timeout=None):
        """The result of one shard's method, or its error naming the shard."""
        return self.call_many({shard: (method, args)}, timeout=timeout)[0][shard]

    def call_all(self, method, *args, timeout=None, allow_partial=False):
        """{shard: result} of method(*args) on every shard."""
        results, _ = self.call_many({s: (method, args) for s in range(len(self))},
                                    timeout=timeout, allow_partial=allow_partial)
        return results

    def call_many(self, calls, timeout=None, allow_partial=False):
        """Runs {shard: (method, args)} at once and waits for all within timeout
        seconds (the set's default when None). Returns ({shard: result},
        {shard: error}); the errors are empty unless allow_partial, else the
        first failure (by shard) is raised. A shard being restarted by Ray is
        waited for within the timeout (Ray retries its calls, except methods
        marked max_task_retries=0, which fail as ShardOutcomeUnknown)."""
        if self.closed:
            raise _errors.Unavailable(f"cluster at {self.root} is closed")
        timeout = self.timeout if timeout is None else timeout
        refs = {getattr(self.actors[s], method).remote(*args): s for s, (method, args) in calls.items()}
        deadline = time.monotonic() + timeout
        pending = list(refs)
        results, errors = {}, {}
        while pending:
            left = max(0.0, deadline - time.monotonic())
            ready, pending = ray.wait(pending, num_returns=len(pending), timeout=left)
            for ref in ready:
                shard = refs[ref]
                try:
                    results[shard] = ray.get(ref)
                except Exception as e:  # noqa: BLE001 (turned into an hvdb error naming the shard)
                    errors[shard] = self._named(shard, e)
            if time.monotonic() >= deadline:
                break
        for ref in pending:
            shard = refs[ref]
            errors[shard] = ShardTimeout(
                f"shard {shard} ({self.paths[shard]}) did not answer within {timeout:g} s")
        if errors and not allow_partial:
            raise errors[min(errors)]
        return results, errors

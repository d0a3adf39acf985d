"""One execution per notebook across the processes that share a cache.

Before a front end (a build, ``nbcache execute``) executes a notebook it takes the notebook's
lock in the cache folder (:meth:`~.interfaces.ResultStore.execution_lock`), then looks its
key up once more: a process running at the same time may have stored it meanwhile. A
notebook whose lock another process holds is left until that process lets go, then taken
from the cache. Locks are only ever tried, never waited on, while this process holds others,
so two processes cannot wait for each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from filelock import FileLock, Timeout

from .interfaces import ResultStore
from .records import CacheEntry, FailureEntry

#: seconds between two tries of the locks another process holds
POLL_SECONDS = 0.2

Item = TypeVar("Item")


@contextmanager
def _held(locks: dict[int, FileLock]) -> Iterator[dict[int, FileLock]]:
    try:
        yield locks
    finally:
        for lock in locks.values():
            lock.release(force=True)


def execute_once(
    store: ResultStore,
    todo: Sequence[Item],
    since: float,
    execute: Callable[[list[Item], dict[int, FileLock]], None],
    on_done_elsewhere: Callable[[Item, CacheEntry | FailureEntry], None],
    on_wait: Callable[[int], None],
    *,
    uri_of: Callable[[Item], str],
    key_of: Callable[[Item], str | None],
) -> None:
    """Execute each item of ``todo`` unless another process does it: then reuse its result.

    :param since: when planning started; a record or failure stored after it is another
        process's result for the same inputs, an older one was already weighed by the plan.
    :param execute: runs a batch of items holding their locks, keyed by ``id(item)`` (it
        may release each one as soon as its result is stored).
    :param on_done_elsewhere: an item another process stored (a record or a failure).
    :param on_wait: told once how many notebooks another process is executing.
    :param key_of: an item's key, or ``None`` when it must run whatever is stored (forced).
    """
    pending = {id(item): item for item in todo}
    told = False
    while pending:
        with _held({}) as batch_locks:
            batch = []
            for ident, item in list(pending.items()):
                try:
                    lock = store.execution_lock(uri_of(item))
                    lock.acquire(timeout=0)
                except Timeout:
                    continue
                except OSError:
                    # a cache folder this process cannot write in: execute without the lock
                    # (storing the result will then say what is wrong)
                    del pending[ident]
                    batch.append(item)
                    continue
                del pending[ident]
                found = _done_elsewhere(store, key_of(item), since)
                if found is not None:
                    lock.release()
                    on_done_elsewhere(item, found)
                    continue
                batch.append(item)
                batch_locks[ident] = lock
            if batch:
                execute(batch, batch_locks)
                continue
        if pending:
            if not told:
                on_wait(len(pending))
                told = True
            time.sleep(POLL_SECONDS)


def _done_elsewhere(
    store: ResultStore, key: str | None, since: float
) -> CacheEntry | FailureEntry | None:
    """The result another process stored for ``key`` after ours was planned, if any."""
    if key is None:
        return None
    found = store.result_for(key)
    # a record from before (its dependencies changed, say) is why the item executes
    if found is not None and found.created >= since:
        return found
    if isinstance(found, CacheEntry):  # an old record can hide a newer failure
        failure = store.lookup_failure(key)
        if failure is not None and failure.created >= since:
            return failure
    return None

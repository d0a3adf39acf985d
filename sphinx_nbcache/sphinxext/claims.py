"""One execution per notebook across the builds that share a cache.

Before a build executes a stale notebook it takes the notebook's lock in the cache folder
(:meth:`~sphinx_nbcache.engine.NotebookCache.execution_lock`), then looks its key up once
more: a build running at the same time may have stored it meanwhile. A notebook whose lock
another build holds is left until that build lets go, then taken from the cache. Locks are
only ever tried, never waited on, while this build holds others, so two builds cannot wait
for each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from sphinx_nbcache.engine import NotebookCache

from .plan import CACHED, FAILED, Plan

#: seconds between two tries of the locks another build holds
POLL_SECONDS = 0.2


@contextmanager
def _held(locks: dict[str, FileLock]) -> Iterator[dict[str, FileLock]]:
    try:
        yield locks
    finally:
        for lock in locks.values():
            lock.release(force=True)


def execute_once(
    store: NotebookCache,
    todo: list[Plan],
    since: float,
    execute: Callable[[list[Plan], dict[str, FileLock]], None],
    on_done_elsewhere: Callable[[Plan], None],
    on_wait: Callable[[int], None],
) -> None:
    """Execute each plan of ``todo`` unless another build does it: then reuse its result.

    :param since: when this build started planning; a record or failure stored after it is
        another build's result for the same inputs, an older one was already weighed by the
        plan.
    :param execute: runs a batch of plans, holding their locks (it may release each one as
        soon as its result is stored).
    :param on_done_elsewhere: a plan turned ``cached`` (or ``failed``) by another build.
    :param on_wait: told once how many notebooks another build is executing.
    """
    pending = {plan.docname: plan for plan in todo}
    told = False
    while pending:
        with _held({}) as batch_locks:
            batch = []
            for docname, plan in list(pending.items()):
                try:
                    lock = store.execution_lock(store.uri_for(plan.path))
                    lock.acquire(timeout=0)
                except Timeout:
                    continue
                except OSError:
                    # a cache folder this build cannot write in: execute without the lock
                    # (storing the result will then say what is wrong)
                    del pending[docname]
                    batch.append(plan)
                    continue
                del pending[docname]
                if _done_elsewhere(store, plan, since):
                    lock.release()
                    on_done_elsewhere(plan)
                    continue
                batch.append(plan)
                batch_locks[docname] = lock
            if batch:
                execute(batch, batch_locks)
                continue
        if pending:
            if not told:
                on_wait(len(pending))
                told = True
            time.sleep(POLL_SECONDS)


def _done_elsewhere(store: NotebookCache, plan: Plan, since: float) -> bool:
    """Whether another build stored this plan's result after ours was planned."""
    assert plan.settings is not None and plan.key is not None
    if plan.settings.execution_mode == "force":
        return False  # this build's own execution was asked for
    entry = store.lookup(plan.key)
    # a record from before (its dependencies changed, say) is why the plan executes
    if entry is not None and entry.created >= since:
        plan.entry, plan.status = entry, CACHED
        plan.reason = "executed by another build meanwhile"
        return True
    failure = store.lookup_failure(plan.key)
    if failure is not None and failure.created >= since:
        plan.failure, plan.status = failure, FAILED
        plan.reason = "failed in another build meanwhile"
        return True
    return False

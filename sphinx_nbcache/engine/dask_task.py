"""The worker's side of a Dask task: run one notebook, stop when the task is no longer wanted.

:func:`execute_task` runs on a worker's thread. It runs the notebook with the executor's
own code (:func:`~.executor.async_execute_notebook`) in an event loop of its own, in place or
in a temporary copy of a shipped folder (:mod:`.shipping`), and hands back a
:class:`Returned`: the result, the artefacts' bytes when shipped, and the worker's address.

Dask cannot stop a task that runs on a worker's thread: cancelling its future (the build's
Ctrl-C) or losing its client (the build killed) only makes the worker forget the result when
it comes. A notebook that sleeps or trains for an hour would go on, its kernel with it. So
the run watches its own task: as soon as the worker no longer holds it as executing (it was
cancelled or released) or the worker is closing (its scheduler lost), the run is cancelled,
which shuts its kernel down, and the task ends with :class:`TaskAbandoned`.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .errors import NbCacheError
from .executor import ExecutionResult, async_execute_notebook
from .options import ExecutionOptions
from .shipping import Parcel, artefact_bytes, map_io, moved, unpack

#: the topic on which tasks tell the build they started (progress)
START_TOPIC = "nbcache-start"
#: seconds between two looks at whether the task is still wanted
WATCH_SECONDS = 0.25
#: the states of a task its worker still means to run
_WANTED = frozenset({"executing", "long-running"})

T = TypeVar("T")


class TaskAbandoned(NbCacheError):
    """The task was cancelled, or its worker is closing: its notebook was stopped."""


@dataclass
class Task:
    """What a worker needs to run one notebook (the job minus what stays in the build)."""

    key: str
    nb: Any
    #: the notebook's folder in the project (where it runs, with a shared file system)
    cwd: str
    name: str
    options: ExecutionOptions
    exclude: list[str] = field(default_factory=list)
    source_path: str | None = None
    source_suffixes: tuple[str, ...] = ()


@dataclass
class Returned:
    """What a task hands back: the result, the artefacts' bytes if shipped, where it ran."""

    result: ExecutionResult
    artefacts: dict[str, bytes] | None
    address: str


def execute_task(task: Task, parcel: Parcel | None = None) -> Returned:
    """Run one notebook on this worker: in place, or in a temporary copy of ``parcel``.

    :raises TaskAbandoned: the task was cancelled (or its worker is closing) meanwhile.
    """
    from distributed import get_worker
    from distributed.worker import thread_state

    worker = get_worker()
    worker.log_event(START_TOPIC, {"key": task.key})
    address = str(worker.address)
    # the key Dask runs this under (the build submits it as task.key; a caller may not)
    wanted = _still_wanted(worker, getattr(thread_state, "key", task.key))
    if parcel is None:
        return Returned(_execute(task, Path(task.cwd), wanted), None, address)
    folder = unpack(parcel)
    try:
        result = _execute(task, folder, wanted)
        files = artefact_bytes(result.artefacts)
        result.artefacts = {}
        project = Path(task.cwd)
        result.io = map_io(result.io, folder, project)
        result.warnings = [w.replace(str(folder), str(project)) for w in result.warnings]
        return Returned(result, files, address)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _still_wanted(worker: Any, key: str) -> Callable[[], bool]:
    """Whether ``worker`` still runs ``key`` and is not closing (read from its thread)."""
    from distributed.core import Status

    open_states = (Status.running, Status.paused, Status.closing_gracefully)

    def wanted() -> bool:
        state = worker.state.tasks.get(key)
        return worker.status in open_states and state is not None and state.state in _WANTED

    return wanted


def _execute(task: Task, folder: Path, wanted: Callable[[], bool]) -> ExecutionResult:
    """The executor's own run of ``task``'s notebook in ``folder``, while it is wanted."""
    project = Path(task.cwd)
    run = async_execute_notebook(
        task.nb,
        folder,
        task.options,
        exclude=[moved(p, project, folder) for p in task.exclude],
        source_path=moved(task.source_path, project, folder) if task.source_path else None,
        run_name=task.name,
        source_suffixes=task.source_suffixes,
    )
    return asyncio.run(_while_wanted(run, wanted, task.name))


async def _while_wanted(run: Coroutine[Any, Any, T], wanted: Callable[[], bool], name: str) -> T:
    """``run``'s result; cancelled (its kernel shut down) once it is no longer wanted."""
    future = asyncio.ensure_future(run)
    while not future.done():
        await asyncio.wait({future}, timeout=WATCH_SECONDS)
        if not future.done() and not wanted():
            future.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await future
            raise TaskAbandoned(f"{name}: stopped, its Dask task was cancelled")
    return future.result()

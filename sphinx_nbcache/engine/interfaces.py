"""The two seams of the pipeline: an executor backend and a result store.

The runner (:mod:`.runner`) plans nothing itself: front ends hand it jobs with their keys.
It takes each notebook's lock, hands the jobs to an :class:`ExecutorBackend`, records what
each run read, and writes each result or failure to a :class:`ResultStore`, then yields an
:class:`~.outcome.Outcome`. Today each seam has one implementation: the local asyncio
scheduler (:class:`.scheduler.LocalBackend`) and the SQLite store
(:class:`.store.NotebookCache`). A forked-kernel or Dask backend, and a remote store in front
of the local one, are new implementations of these, not rewrites.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from filelock import FileLock
    from nbformat import NotebookNode

    from .executor import ExecutionResult
    from .hashing import KeyInputs
    from .records import CacheEntry, FailureEntry
    from .scheduler import Job

#: ``on_result(job, result, done, total)``: called in the caller's thread, one at a time,
#: while the run's artefact files still exist
ResultCallback = Callable[["Job", "ExecutionResult", int, int], None]
StartCallback = Callable[["Job", int, int], None]


@runtime_checkable
class ExecutorBackend(Protocol):
    """Runs jobs and hands back their results; never touches the store."""

    #: how outcomes say where a notebook ran
    name: str

    def run(
        self,
        jobs: Sequence[Job],
        on_result: ResultCallback,
        on_start: StartCallback | None = None,
    ) -> None:
        """Run every job; call ``on_result`` once per job (a failure is in its result)."""
        ...


@runtime_checkable
class ResultStore(Protocol):
    """Looks results up by key and writes them."""

    def result_for(self, key: str) -> CacheEntry | FailureEntry | None:
        """The record for ``key``, else the failure remembered for it, else ``None``."""
        ...

    def lookup_failure(self, key: str) -> FailureEntry | None:
        """The failure remembered for ``key`` (even where a record exists too)."""
        ...

    def uri_for(self, path: str | os.PathLike[str]) -> str: ...

    def execution_lock(self, uri: str) -> FileLock: ...

    def add_notebook(
        self,
        nb: NotebookNode,
        uri: str,
        *,
        inputs: KeyInputs | None = None,
        artefacts: Mapping[str, str | os.PathLike[str]] | None = None,
        data: Mapping[str, Any] | None = None,
        dependencies: Mapping[str, Any] | None = None,
        validate: bool = True,
    ) -> CacheEntry: ...

    def record_failure(
        self,
        hashkey: str,
        uri: str,
        nb: NotebookNode,
        *,
        error: str,
        traceback: str = "",
        cell_index: int | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> FailureEntry: ...

    def touch(self, record_ids: Iterable[int]) -> None: ...

"""The one execution pipeline: claim -> execute -> record dependencies -> store -> outcome.

Front ends plan (the Sphinx build's planner, the command line's staged notebooks) and hand
the :class:`Runner` what they decided to execute, as :class:`RunItem`\\ s. For each item the
runner takes the notebook's lock in the store (another process executing it meanwhile
leaves its result instead: :func:`.claims.execute_once`), hands the jobs to an
:class:`~.interfaces.ExecutorBackend`, records what each run read (its dependencies), writes
the record or the failure to a :class:`~.interfaces.ResultStore`, lets the lock go, and
tells the front end an :class:`~.outcome.Outcome` as each notebook finishes. The build and
``nbcache execute`` therefore agree about every notebook: same locks, same dependency
records, same remembered failures.

A result the store cannot keep (a read-only cache, an unwritable records folder) is still a
run: its outcome says ``executed`` with :attr:`~.outcome.Outcome.store_error` set, and the
front end gets the executed notebook in :attr:`Finished.result` to show all the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from .claims import execute_once
from .deps import FileHasher, recorded_dependencies
from .errors import NbCacheError
from .executor import ExecutionResult
from .hashing import KeyInputs, key_inputs
from .interfaces import ExecutorBackend, ResultStore
from .options import ExecutionOptions
from .outcome import Outcome, Status
from .records import CacheEntry, FailureEntry
from .scheduler import Job, LocalBackend

if TYPE_CHECKING:
    from nbformat import NotebookNode


@dataclass
class RunItem:
    """One notebook a front end decided to execute."""

    #: how progress and outcomes name it (a Sphinx docname, a cache URI)
    name: str
    #: its source file
    path: Path
    #: the notebook as it runs (kernel resolved, generated cells added)
    nb: NotebookNode
    options: ExecutionOptions = field(default_factory=ExecutionOptions)
    #: its key's inputs, taken before execution writes into ``nb``; ``None``: from ``nb``
    inputs: KeyInputs | None = None
    #: run whatever is stored (execution mode ``force``, ``nbcache execute --force``)
    force: bool = False
    #: when set, run in a temporary folder holding only these files (relative to its folder)
    assets: Sequence[str] | None = None
    #: how outcomes give its source (a path relative to the project); default: ``name``
    source: str = ""
    #: why it executes (the planner's reason), carried into its outcome
    reason: str = ""
    #: anything the front end wants back
    payload: Any = None

    def __post_init__(self) -> None:
        if self.inputs is None:
            self.inputs = key_inputs(self.nb)
        if not self.source:
            self.source = self.name

    @property
    def key(self) -> str:
        assert self.inputs is not None
        return self.inputs.key()


@dataclass
class Finished:
    """What the runner tells a front end about one item, as it finishes."""

    item: RunItem
    outcome: Outcome
    #: this process's run (``None``: another process's result was taken)
    result: ExecutionResult | None = None
    #: the record stored for it, or the one another process stored
    entry: CacheEntry | None = None
    #: the failure another process stored for it
    failure: FailureEntry | None = None


FinishedCallback = Callable[[Finished, int, int], None]


class Runner:
    """Executes the items front ends hand it, once across every process sharing the store.

    :param root: the project: a run's dependencies are the files under it that it read.
    :param exclude: files and folders that are never dependencies nor artefacts (the cache,
        the build's output); each notebook's own file is added.
    :param source_suffixes: files ending so are artefacts only if the run opened them for
        writing (the project's sources: one saved in an editor meanwhile is not the run's).
    """

    def __init__(
        self,
        store: ResultStore,
        backend: ExecutorBackend | None = None,
        *,
        root: Path,
        exclude: Sequence[Path] = (),
        source_suffixes: Sequence[str] = (),
        hasher: FileHasher | None = None,
    ) -> None:
        self.store = store
        self.backend = backend if backend is not None else LocalBackend()
        self.root = Path(root).absolute()
        self.exclude = [Path(p) for p in exclude]
        self.source_suffixes = tuple(source_suffixes)
        self.hasher = hasher

    def run(
        self,
        items: Sequence[RunItem],
        on_finished: FinishedCallback,
        *,
        since: float | None = None,
        on_wait: Callable[[int], None] | None = None,
        on_start: Callable[[RunItem, int, int], None] | None = None,
    ) -> list[Outcome]:
        """Execute ``items`` (or take another process's result); return their outcomes.

        :param since: when the front end planned (a result stored after it is another
            process's for the same inputs); default: now.
        :param on_finished: ``(finished, done, total)``, once per item, in this thread.
        :param on_wait: told once how many items another process is executing.
        """
        outcomes: dict[int, Outcome] = {}
        total = len(items)
        count = [0]

        def finish(finished: Finished) -> None:
            count[0] += 1
            outcomes[id(finished.item)] = finished.outcome
            on_finished(finished, count[0], total)

        def execute(batch: list[RunItem], locks: dict[int, FileLock]) -> None:
            self._execute(batch, locks, finish, on_start)

        execute_once(
            self.store,
            items,
            time.time() if since is None else since,
            execute,
            lambda item, found: finish(self._taken(item, found)),
            on_wait or (lambda count: None),
            uri_of=lambda item: self.store.uri_for(item.path),
            key_of=lambda item: None if item.force else item.key,
        )
        return [outcomes[id(item)] for item in items if id(item) in outcomes]

    # -- the steps -----------------------------------------------------------------------
    def _execute(
        self,
        batch: list[RunItem],
        locks: dict[int, FileLock],
        finish: Callable[[Finished], None],
        on_start: Callable[[RunItem, int, int], None] | None,
    ) -> None:
        jobs = [
            Job(
                nb=item.nb,
                cwd=item.path.parent,
                name=item.source,
                options=item.options,
                exclude=self.exclude,
                source_path=item.path,
                assets=item.assets,
                source_suffixes=self.source_suffixes,
                payload=item,
            )
            for item in batch
        ]

        def on_result(job: Job, result: ExecutionResult, done: int, total: int) -> None:
            item: RunItem = job.payload
            # runs inside the backend: an exception here would stop every other notebook
            try:
                finished = self._store(item, result)
            finally:
                lock = locks.pop(id(item), None)
                if lock is not None:  # another process waiting for it can read the result
                    lock.release()
            finish(finished)

        def started(job: Job, done: int, total: int) -> None:
            if on_start is not None:
                on_start(job.payload, done, total)

        self.backend.run(jobs, on_result, started)

    def _store(self, item: RunItem, result: ExecutionResult) -> Finished:
        """Write the run's record (or failure) with its dependencies; say what happened."""
        base = Outcome(
            name=item.name,
            source=item.source,
            status=Status.EXECUTED,
            reason=item.reason,
            seconds=round(result.seconds, 3),
            key=item.key,
            where=result.where or self.backend.name,
        )
        error = result.error
        try:
            dependencies = recorded_dependencies(
                result.io, self.root, exclude=[*self.exclude, item.path], hasher=self.hasher
            )
            uri = self.store.uri_for(item.path)
            if error is None:
                entry = self.store.add_notebook(
                    result.nb,
                    uri,
                    inputs=item.inputs,
                    artefacts=result.artefacts,
                    data=result.data(),
                    dependencies=dependencies,
                    validate=False,
                )
                return Finished(item, replace(base, record_id=entry.id), result, entry=entry)
            self.store.record_failure(
                item.key,
                uri,
                result.nb,
                error=str(error),
                traceback=error.traceback,
                cell_index=error.cell_index,
                data={
                    **result.data(),
                    "dependencies": dependencies,
                    "ename": error.ename,
                    # a failure stands only while these stay as they were too
                    "settings": item.options.outcome_settings(),
                },
            )
            store_error = ""
        except (NbCacheError, OSError) as exc:
            store_error = str(exc)
        outcome = replace(base, store_error=store_error)
        if error is not None:
            outcome = replace(
                outcome,
                status=Status.FAILED,
                error=str(error),
                traceback=error.traceback,
                cell_index=error.cell_index,
            )
        return Finished(item, outcome, result)

    def _taken(self, item: RunItem, found: CacheEntry | FailureEntry) -> Finished:
        """Another process stored a result for the item meanwhile: take it."""
        base = Outcome(name=item.name, source=item.source, status=Status.CACHED, key=item.key)
        if isinstance(found, CacheEntry):
            outcome = replace(
                base,
                reason="executed by another process meanwhile",
                seconds=found.data.get("seconds"),
                record_id=found.id,
            )
            return Finished(item, outcome, entry=found)
        outcome = replace(
            base,
            status=Status.FAILED,
            reason="failed in another process meanwhile",
            error=found.error,
            traceback=found.traceback,
            cell_index=found.cell_index,
        )
        return Finished(item, outcome, failure=found)

"""Execute many notebooks concurrently: one kernel each, at most ``jobs`` at a time.

Kernels are separate processes, so one asyncio loop in the calling process drives them all;
nothing here forks, and results are handed to ``on_result`` in the calling thread, one at a
time, so the caller can write them to SQLite without contention. :class:`LocalBackend` is
this, as the runner's :class:`~.interfaces.ExecutorBackend`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ArtefactError, ExecutionError
from .executor import ExecutionResult, async_execute_notebook
from .files import relative_inside, safe_join
from .hashing import kernel_of
from .kernels import FOLDER_PREFIX
from .options import ExecutionOptions
from .watch import FolderWatch

if TYPE_CHECKING:
    from nbformat import NotebookNode


@dataclass
class Job:
    """One notebook to execute."""

    nb: NotebookNode
    #: the folder the notebook runs in (its own folder)
    cwd: Path
    #: how progress and errors name it (a URI or docname)
    name: str
    #: how it runs (kernel, time limits, allow-errors, environment, kernel arguments)
    options: ExecutionOptions = field(default_factory=ExecutionOptions)
    exclude: Sequence[Path] = ()
    source_path: Path | None = None
    #: when set, run in a temporary folder holding only these files (relative to ``cwd``)
    assets: Sequence[str] | None = None
    #: files ending so are artefacts only if the probe saw them written (the project's sources)
    source_suffixes: Sequence[str] = ()
    #: anything the caller wants back with the result
    payload: Any = None


#: ``on_result(job, result, done, total)``; called while artefact files still exist.
ResultCallback = Callable[[Job, ExecutionResult, int, int], None]
StartCallback = Callable[[Job, int, int], None]


class LocalBackend:
    """Runs jobs on this machine: one asyncio loop, one kernel process per notebook.

    :param max_jobs: how many notebooks run at once (default: :func:`default_jobs`).
    """

    name = "local"

    def __init__(self, max_jobs: int | None = None) -> None:
        self.max_jobs = max_jobs or default_jobs()

    def run(
        self,
        jobs: Sequence[Job],
        on_result: ResultCallback,
        on_start: StartCallback | None = None,
    ) -> None:
        execute_many(jobs, max_jobs=self.max_jobs, on_start=on_start, on_result=on_result)


#: notebooks run at once per CPU unless ``nbcache_jobs`` says: a kernel's life is partly
#: waiting (its start, each cell's round trip, its shutdown), so with one per CPU the cores
#: sat idle (24 notebooks, 2 CPUs: 20.6 s at 2, 15.1 s at 4, 13.4 s at 6, same CPU-s;
#: docs/performance.md)
KERNELS_PER_CPU = 2
#: and at most this many more than the CPUs: a machine of many cores must not start hundreds
#: of kernels at once (each one is a Python process with the notebook's imports)
MAX_EXTRA_KERNELS = 8


def available_cpus() -> int:
    """The number of CPUs available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_jobs() -> int:
    """How many notebooks run at once by default: :data:`KERNELS_PER_CPU` per available CPU,
    at most :data:`MAX_EXTRA_KERNELS` more than the CPUs."""
    cpus = available_cpus()
    return min(cpus * KERNELS_PER_CPU, cpus + MAX_EXTRA_KERNELS)


def execute_many(
    jobs: Iterable[Job],
    *,
    max_jobs: int | None = None,
    on_start: StartCallback | None = None,
    on_result: ResultCallback | None = None,
) -> list[ExecutionResult]:
    """Execute every job, at most ``max_jobs`` at once; return results in job order.

    A notebook's failure is in its result; it never stops the others.
    """
    job_list = list(jobs)
    if not job_list:
        return []
    coro = _run_all(job_list, max_jobs or default_jobs(), on_start, on_result)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # called from inside a running loop (e.g. a notebook): use a loop of our own in a thread
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="nbcache-execute")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


async def _run_all(
    jobs: list[Job],
    limit: int,
    on_start: StartCallback | None,
    on_result: ResultCallback | None,
) -> list[ExecutionResult]:
    semaphore = asyncio.Semaphore(limit)
    total = len(jobs)
    done = 0
    started = 0
    # one comparison per shared folder, so that runs side by side in it are told apart
    watches: dict[Path, FolderWatch] = {}

    def watch_for(job: Job, cwd: Path) -> FolderWatch:
        if job.assets is not None:  # a folder of its own
            return FolderWatch(cwd.absolute(), [Path(p).absolute() for p in job.exclude])
        folder = cwd.absolute()
        if folder not in watches:
            watches[folder] = FolderWatch(folder, [Path(p).absolute() for p in job.exclude])
        return watches[folder]

    async def one(run_id: int, job: Job) -> ExecutionResult:
        nonlocal done, started
        async with semaphore:
            started += 1
            if on_start is not None:
                on_start(job, started, total)
            try:
                with _workdir(job) as cwd:
                    result = await async_execute_notebook(
                        job.nb,
                        cwd,
                        job.options,
                        exclude=job.exclude,
                        source_path=job.source_path,
                        watch=watch_for(job, cwd),
                        run_id=run_id,
                        run_name=job.name,
                        source_suffixes=job.source_suffixes,
                    )
                    done += 1
                    if on_result is not None:
                        on_result(job, result, done, total)
            except _AssetError as exc:  # this job's failure, not the batch's
                default_kernel, language = kernel_of(job.nb)
                result = ExecutionResult(
                    nb=job.nb,
                    kernel=job.options.kernel_name or default_kernel,
                    language=language,
                    error=ExecutionError(str(exc), ename="AssetError"),
                )
                done += 1
                if on_result is not None:
                    on_result(job, result, done, total)
            return result

    return list(await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs))))


class _AssetError(Exception):
    """An asset of a job cannot be copied into its temporary folder."""


class _workdir:
    """The job's own folder, or a temporary folder holding copies of its assets."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.tmp: str | None = None

    def __enter__(self) -> Path:
        if self.job.assets is None:
            return Path(self.job.cwd)
        # named as the kernels' folders are: a killed process's copy is swept like theirs
        self.tmp = tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-")
        for rel in self.job.assets:
            try:
                src = Path(self.job.cwd) / relative_inside(rel, self.job.cwd)
                dst = safe_join(Path(self.tmp), rel)
                dst.parent.mkdir(parents=True, exist_ok=True)
                if src.is_dir():
                    shutil.copytree(src, dst, dirs_exist_ok=True)
                else:
                    shutil.copy2(src, dst)
            except (OSError, ArtefactError) as exc:
                self.__exit__()  # __exit__ is not called when __enter__ raises
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                message = f"{self.job.name}: asset '{rel}' cannot be used: {reason}"
                raise _AssetError(message) from None
        return Path(self.tmp)

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

"""Execute notebooks on a Dask cluster: one task per notebook, results back to the build.

:class:`DaskBackend` is an :class:`~.interfaces.ExecutorBackend`. Each job becomes one task
that runs :func:`~.dask_task.execute_task` on a worker: the same executor code as a local run,
so timeouts, allow-errors, dependency capture and artefacts behave as they do locally. The
task returns the :class:`~.executor.ExecutionResult` (and, when the worker ran a shipped copy
of the folder, the artefacts' bytes and the paths mapped back: :mod:`.shipping`);
the build process hands each one to ``on_result`` in its own thread as it completes, and it
alone writes the cache. A worker never touches the store.

Faults of the cluster are told apart from the notebooks' own:

- the scheduler cannot be reached, or is lost while notebooks run: :class:`ClusterUnavailableError`
  is raised (naming the address), and no notebook is marked failed;
- Ctrl-C (or any exception) in the build: its tasks are cancelled, and a task already running
  stops its notebook on the worker (:mod:`.dask_task`); nothing is marked failed;
- the worker running a notebook dies: the scheduler runs it once more elsewhere (on a cluster
  started here; a remote scheduler's ``distributed.scheduler.allowed-failures`` decides),
  then its result is a failure with ``ename`` :data:`WORKER_LOST`, the machine's fault;
- the task itself fails outside the notebook (``sphinx_nbcache`` missing on a worker, a
  parcel that cannot be unpacked): a failure with ``ename`` :data:`WORKER_ERROR`.

``distributed`` is imported only when a backend runs, so this module imports without it.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dask_task import START_TOPIC, Returned, Task, execute_task
from .errors import ClusterError, ClusterUnavailableError, ExecutionError
from .executor import ExecutionResult
from .hashing import kernel_of
from .shipping import DEFAULT_SHIP_LIMIT, Parcel, ShipLimitError, pack, write_artefacts

if TYPE_CHECKING:
    from distributed import Client

    from .interfaces import ResultCallback, StartCallback
    from .scheduler import Job

#: the ``ename`` of a notebook whose worker died under it (each time it was tried)
WORKER_LOST = "WorkerLostError"
#: the ``ename`` of a task that failed on its worker outside the notebook
WORKER_ERROR = "WorkerError"
#: the ``ename`` of a notebook whose folder is too large to ship
SHIP_LIMIT = "ShipLimitError"
#: seconds a connection to a scheduler is tried before it is unreachable
CONNECT_TIMEOUT = 10.0
#: how often the scheduler runs a task again after its worker died, on a cluster started here
ALLOWED_FAILURES = 1
#: parcels larger than this are scattered to the cluster rather than put in the task
SCATTER_BYTES = 1_000_000


#: opens a client; returns it and what closes it (and any cluster started for it)
Connect = Callable[[], "tuple[Client, Callable[[], None]]"]


class DaskBackend:
    """Runs jobs as Dask tasks, one per notebook.

    :param connect: opens the client for one :meth:`run` (see :func:`local_cluster`,
        :func:`scheduler_at`, :func:`from_factory`).
    :param where: how errors name the cluster (its address, "a local Dask cluster").
    :param shared_filesystem: workers see the project at the same path: run in place.
    :param ship_limit: bytes a notebook's shipped files may come to.
    """

    def __init__(
        self,
        connect: Connect,
        *,
        where: str,
        shared_filesystem: bool = False,
        ship_limit: int = DEFAULT_SHIP_LIMIT,
    ) -> None:
        self.connect = connect
        self.where = where
        self.shared_filesystem = shared_filesystem
        self.ship_limit = ship_limit
        #: what outcomes say when a result names no worker (each result carries its own)
        self.name = "dask"

    def run(
        self,
        jobs: Sequence[Job],
        on_result: ResultCallback,
        on_start: StartCallback | None = None,
    ) -> None:
        """Run every job on the cluster; ``on_result`` in this thread as each completes."""
        if not jobs:
            return
        client, close = self.connect()
        try:
            _Batch(self, client, list(jobs), on_result, on_start).run()
        finally:
            close()

    def task_for(self, job: Job) -> tuple[Task, Parcel | None]:
        """The task for ``job`` and, unless it runs in place, its parcel.

        :raises ShipLimitError: its files cannot be shipped.
        """
        task = Task(
            key=f"nbcache-{uuid.uuid4().hex}",
            nb=job.nb,
            cwd=str(Path(job.cwd).absolute()),
            name=job.name,
            options=job.options,
            exclude=[str(Path(p).absolute()) for p in job.exclude],
            source_path=str(Path(job.source_path).absolute()) if job.source_path else None,
            source_suffixes=tuple(job.source_suffixes),
        )
        if self.shared_filesystem and job.assets is None:
            return task, None
        exclude = [Path(p) for p in task.exclude]
        parcel = pack(
            Path(task.cwd), name=job.name, limit=self.ship_limit, exclude=exclude, assets=job.assets
        )
        return task, parcel


class _Batch:
    """One :meth:`DaskBackend.run`: submit, then hand results over as they complete."""

    def __init__(
        self,
        backend: DaskBackend,
        client: Client,
        jobs: list[Job],
        on_result: ResultCallback,
        on_start: StartCallback | None,
    ) -> None:
        self.backend = backend
        self.client = client
        self.jobs = jobs
        self.on_result = on_result
        self.on_start = on_start
        self.total = len(jobs)
        self.done = 0
        self.started: set[str] = set()
        #: ("start" | "done", task key), from the client's thread to this one
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.pending: dict[str, tuple[Job, Any]] = {}
        #: how many jobs run in place in each folder (several: see :func:`_probed_only`)
        self.in_place: dict[Path, int] = {}

    def run(self) -> None:
        self.client.subscribe_topic(START_TOPIC, self._started)
        try:
            refused = self._submit()
            for job, error in refused:
                self._deliver(job, None, _failure(job, error, SHIP_LIMIT), "")
            self._collect()
        except BaseException:
            # Ctrl-C, or the scheduler lost: none of ours keeps running on the cluster
            futures = [future for _, future in self.pending.values()]
            if futures:
                with contextlib.suppress(Exception):  # a lost scheduler cannot be told
                    self.client.cancel(futures, force=True)
            raise
        finally:
            with contextlib.suppress(Exception):
                self.client.unsubscribe_topic(START_TOPIC)

    def _started(self, event: Any) -> None:
        _, message = event
        if isinstance(message, dict) and "key" in message:
            self.events.put(("start", str(message["key"])))

    def _submit(self) -> list[tuple[Job, str]]:
        refused = []
        for job in self.jobs:
            try:
                task, parcel = self.backend.task_for(job)
            except ShipLimitError as exc:
                refused.append((job, str(exc)))
                continue
            if parcel is None:
                folder = Path(task.cwd)
                self.in_place[folder] = self.in_place.get(folder, 0) + 1
            shipped: Any = parcel
            if parcel is not None and parcel.size > SCATTER_BYTES:
                shipped = self.client.scatter(parcel, hash=False)
            future = self.client.submit(execute_task, task, shipped, key=task.key, pure=False)
            self.pending[task.key] = (job, future)
            future.add_done_callback(lambda f: self.events.put(("done", str(f.key))))
        return refused

    def _collect(self) -> None:
        while self.pending:
            try:
                kind, key = self.events.get(timeout=0.5)
            except queue.Empty:
                continue
            if key not in self.pending:
                continue  # another build's task on the same scheduler, or told already
            job, future = self.pending[key]
            if kind == "start":
                self._start(key, job)
                continue
            del self.pending[key]
            returned = self._returned(job, future)
            self._deliver(job, key, returned.result, returned.address, returned.artefacts)

    def _start(self, key: str | None, job: Job) -> None:
        if key is not None and key in self.started:
            return
        if key is not None:
            self.started.add(key)
        if self.on_start is not None:
            self.on_start(job, len(self.started), self.total)

    def _returned(self, job: Job, future: Any) -> Returned:
        """The task's result, or the failure its worker's fault made of it."""
        from distributed import KilledWorker

        if future.status == "finished":
            returned: Returned = future.result()
            return returned
        if future.status == "cancelled":
            # the client cancels every future at once when its scheduler's connection breaks
            what = "was lost" if self.client.status != "running" else "was restarted"
            raise ClusterUnavailableError(
                f"the Dask scheduler at {self.backend.where} {what} while {job.name} ran; "
                "no notebook was marked failed, the next run tries again (start the "
                "scheduler again, or correct nbcache_executor)"
            )
        exc = future.exception()
        if isinstance(exc, KilledWorker):
            message = (
                f"the Dask worker running it died, each time it was tried ({exc}); the "
                "machine's fault, not the notebook's: it is tried again next time. Look at "
                "the workers' memory limit and logs"
            )
            return Returned(_failure(job, message, WORKER_LOST), None, "")
        message = (
            f"the task failed on its Dask worker, outside the notebook: {type(exc).__name__}: "
            f"{exc}. Every worker needs sphinx-nbcache and the notebooks' kernels installed"
        )
        return Returned(_failure(job, message, WORKER_ERROR), None, "")

    def _deliver(
        self,
        job: Job,
        key: str | None,
        result: ExecutionResult,
        address: str,
        artefacts: dict[str, bytes] | None = None,
    ) -> None:
        """Hand ``result`` over, with its shipped artefacts as files while it is handled."""
        self._start(key, job)  # a start event may come after the result, or never
        self.done += 1
        backend = self.backend
        with tempfile.TemporaryDirectory(prefix="nbcache-artefacts-") as tmp:
            if artefacts is not None:
                result.artefacts = write_artefacts(artefacts, Path(tmp))
            elif self.in_place.get(Path(job.cwd).absolute(), 0) > 1:
                _probed_only(result)
            result.where = address or backend.where
            self.on_result(job, result, self.done, self.total)


def _probed_only(result: ExecutionResult) -> None:
    """Keep only the artefacts the run's probe saw it write.

    Notebooks of one folder running in place on different workers each compare the folder
    on their own: a file one of them wrote from a subprocess or a C library is found by the
    others too, and nothing tells whose it is (locally, one comparison of the folder is shared
    by its runs: :mod:`.watch`).
    """
    written = {str(Path(p)) for p in result.io.get("writes", [])}
    for rel, path in list(result.artefacts.items()):
        if str(Path(path)) in written:
            continue
        del result.artefacts[rel]
        result.warnings.append(
            f"'{rel}' changed while other notebooks of its folder ran on other Dask workers, "
            "and it was not written from Python's open(): it is not recorded as an artefact. "
            "Write it from Python's open(), or leave nbcache_shared_filesystem off (each "
            "notebook then runs in a copy of its folder)"
        )


def _failure(job: Job, message: str, ename: str) -> ExecutionResult:
    default_kernel, language = kernel_of(job.nb)
    return ExecutionResult(
        nb=job.nb,
        kernel=job.options.kernel_name or default_kernel,
        language=language,
        error=ExecutionError(f"{job.name}: {message}", ename=ename),
    )


# -- where the client comes from ---------------------------------------------------------
def new_local_cluster(workers: int, silence: int = logging.ERROR) -> Any:
    """A new ``distributed.LocalCluster``: ``workers`` single-thread worker processes, a task
    run once more when its worker dies, no dashboard."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # its HTTP server (health checks) would take port 8787, which another
            # cluster on the machine (another build) may hold already
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=silence,
        )


def local_cluster(workers: int) -> Connect:
    """A ``LocalCluster`` of ``workers`` single-thread worker processes, for one run."""

    def connect() -> tuple[Client, Callable[[], None]]:
        from distributed import Client

        cluster = new_local_cluster(workers)
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client, close

    return connect


def scheduler_at(address: str, timeout: float = CONNECT_TIMEOUT) -> Connect:
    """A client of the scheduler at ``address``; unreachable: :class:`ClusterUnavailableError`."""

    def connect() -> tuple[Client, Callable[[], None]]:
        from distributed import Client

        try:
            client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ClusterUnavailableError(
                f"cannot reach the Dask scheduler at {address} ({exc}); start it (`dask "
                "scheduler`) or correct nbcache_executor. No notebook was marked failed: "
                "the next run tries again"
            ) from None
        return client, client.close

    return connect


def from_factory(factory: Callable[[], Any]) -> Connect:
    """The client ``factory`` returns (dask-jobqueue and friends); the caller's to keep open.

    ``factory`` is called once, at the first run that has a notebook to execute: a build
    that runs in several batches (waiting for another build's notebooks) reuses its client
    rather than asking for a second cluster.
    """
    made: list[Client] = []

    def connect() -> tuple[Client, Callable[[], None]]:
        from distributed import Client

        if made and made[0].status == "running":
            return made[0], lambda: None
        try:
            client = factory()
        except (OSError, TimeoutError) as exc:
            name = getattr(factory, "__qualname__", repr(factory))
            raise ClusterUnavailableError(
                f"nbcache_executor {name}() could not reach its Dask cluster ({exc}). No "
                "notebook was marked failed: the next run tries again"
            ) from None
        if not isinstance(client, Client):
            raise ClusterError(
                f"nbcache_executor {factory!r} returned {type(client).__name__}, not a "
                "distributed.Client"
            )
        made[:] = [client]
        return client, lambda: None

    return connect

"""Execute one notebook with nbclient, and collect what a cache record needs.

Every failure (a cell error, a cell or notebook timeout, a kernel that dies, never starts or
is not installed) comes back as an :class:`ExecutionResult` whose ``error`` is set: nothing
here raises for a notebook's own fault. How each fault is told is :mod:`.faults`' table; where
the kernels live, :mod:`.kernels`.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import tempfile
import time
from asyncio import CancelledError
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import probe
from .errors import ArtefactError, ExecutionError
from .faults import ENVIRONMENT_FAULTS as ENVIRONMENT_FAULTS
from .faults import NotebookTimeoutError, add_kernel_log, to_error
from .files import IGNORED_DIRS, relative_inside
from .hashing import kernel_of
from .kernels import KERNEL_START_ATTEMPTS, KernelStartError, kernel_folder, kernel_installed
from .kernels import transport as kernel_transport
from .options import ExecutionOptions
from .watch import FolderWatch

if TYPE_CHECKING:
    from nbclient import NotebookClient
    from nbformat import NotebookNode

#: the fault table's reader under its former name (the tests of the messages call it)
_to_error = to_error

_QUIET = logging.getLogger(__name__ + ".nbclient")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@dataclass
class ExecutionResult:
    """What executing one notebook produced."""

    nb: NotebookNode
    kernel: str
    language: str
    seconds: float = 0.0
    error: ExecutionError | None = None
    #: (cell index, seconds) for each executed code cell
    cell_seconds: list[tuple[int, float]] = field(default_factory=list)
    #: artefacts: relative POSIX path in the working folder -> file
    artefacts: dict[str, Path] = field(default_factory=dict)
    #: what the kernel reported (files read and written, modules, versions); empty if no probe
    io: dict[str, Any] = field(default_factory=dict)
    started: float = 0.0
    #: what the caller should tell the user about this run (artefacts not recorded, say)
    warnings: list[str] = field(default_factory=list)
    #: where it ran when not in this process (a Dask worker's address); empty: here
    where: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    def data(self) -> dict[str, Any]:
        """Execution data for the cache record."""
        info = self.nb.metadata.get("language_info", {})
        data: dict[str, Any] = {
            "seconds": round(self.seconds, 3),
            "cells": [[i, round(s, 3)] for i, s in self.cell_seconds],
            "kernel": self.kernel,
            "language": self.language,
            "language_version": info.get("version"),
            "python": self.io.get("python"),
            "ipykernel": self.io.get("ipykernel"),
            "started": self.started,
        }
        if self.where:  # a Dask worker's address (a run in this process stores none)
            data["where"] = self.where
        return data


async def async_execute_notebook(
    nb: NotebookNode,
    cwd: str | os.PathLike[str],
    options: ExecutionOptions | None = None,
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
    source_path: str | os.PathLike[str] | None = None,
    watch: FolderWatch | None = None,
    run_id: int = 0,
    run_name: str = "",
    source_suffixes: Iterable[str] = (),
) -> ExecutionResult:
    """Execute ``nb`` (a copy is not made: outputs are written into it) in folder ``cwd``.

    :param options: how it runs (kernel, time limits, allow-errors, environment, kernel
        arguments); default :class:`~.options.ExecutionOptions` ().
    :param exclude: files and folders never reported as artefacts (the cache, the build).
    :param source_path: the notebook's own file, never an artefact.
    :param watch: the comparison of ``cwd`` shared with the other runs in it (see
        :mod:`.watch`); by default one of its own.
    :param run_id, run_name: this run's number in ``watch``, and how its warnings name it.
    :param source_suffixes: files ending so (the project's documents) are artefacts only
        when the probe saw the notebook write them, never from the folder comparison alone.
    """
    run = NotebookRun(
        nb,
        cwd,
        options if options is not None else ExecutionOptions(),
        exclude=exclude,
        source_path=source_path,
        watch=watch,
        run_id=run_id,
        run_name=run_name,
        source_suffixes=source_suffixes,
    )
    return await run.execute()


class NotebookRun:
    """One run of one notebook: its kernel (started again if it fails to start), its cells,
    its deadline, the probe's report, and the artefacts it leaves.

    Used once: :meth:`execute` fills and returns :attr:`result`.
    """

    def __init__(
        self,
        nb: NotebookNode,
        cwd: str | os.PathLike[str],
        options: ExecutionOptions,
        *,
        exclude: Iterable[str | os.PathLike[str]] = (),
        source_path: str | os.PathLike[str] | None = None,
        watch: FolderWatch | None = None,
        run_id: int = 0,
        run_name: str = "",
        source_suffixes: Iterable[str] = (),
    ) -> None:
        self.nb = nb
        self.options = options
        default_kernel, language = kernel_of(nb)
        self.kernel = options.kernel_name or default_kernel
        self.cwd = Path(cwd).absolute()
        self.excluded = [Path(p).absolute() for p in exclude]
        if source_path is not None:
            self.excluded.append(Path(source_path).absolute())
        self.source_suffixes = tuple(source_suffixes)
        # the probe sees only Python's open(): a subprocess, a C library or os.replace write
        # files it never sees, so the folder is compared before and after as well
        self.watch = watch if watch is not None else FolderWatch(self.cwd, self.excluded)
        self.run_id = run_id
        self.run_name = run_name or (Path(source_path).name if source_path else str(self.cwd))
        self.use_probe = language == "python"
        self.result = ExecutionResult(
            nb=nb, kernel=self.kernel, language=language, started=time.time()
        )
        #: the cell running now (the one a failure names), and since when
        self.cell_index: int | None = None
        self._cell_start = 0.0
        #: whether the current attempt's kernel started (after that, no new attempt)
        self.kernel_started = False
        #: whether the notebook's deadline stopped it
        self.timed_out = False

    async def execute(self) -> ExecutionResult:
        """Run the notebook; every fault of its own becomes :attr:`result`'s error."""
        if not kernel_installed(self.kernel):
            from jupyter_client.kernelspec import NoSuchKernel

            self.result.error = to_error(NoSuchKernel(self.kernel), None, self.kernel, None)
            return self.result
        start = time.perf_counter()
        self.watch.start(self.run_id, self.run_name)
        # the kernel process's own stdout and stderr (not the cells' output, which arrives as
        # messages): tornado and zmq log shutdown races there that would land in the build
        # log. Kept aside, it is shown only when the kernel dies or never starts.
        with tempfile.TemporaryFile() as log, kernel_folder() as folder:
            try:
                await self._within_deadline(log, folder)
            except BaseException as exc:  # every notebook fault becomes a result, never a crash
                if not self.timed_out and isinstance(
                    exc, (KeyboardInterrupt, SystemExit, CancelledError)
                ):
                    raise
                self._fail(exc, log)
        self.result.seconds = time.perf_counter() - start
        self._collect_artefacts()
        return self.result

    async def _within_deadline(self, log: IO[bytes], folder: Path) -> None:
        """Start and run, stopped at the notebook's deadline if it has one."""
        limit = self.options.notebook_timeout
        if not limit:
            await self._start_and_run(log, folder)
            return
        # not asyncio.wait_for: nbclient turns the cancellation into DeadKernelError, so a
        # timeout could not be told from a dead kernel afterwards
        task = asyncio.ensure_future(self._start_and_run(log, folder))

        def stop() -> None:
            self.timed_out = True
            task.cancel()

        handle = asyncio.get_running_loop().call_later(limit, stop)
        try:
            await task
        finally:
            handle.cancel()

    async def _start_and_run(self, log: IO[bytes], folder: Path) -> None:
        """Start a kernel (a new one while none has started, up to the attempts allowed),
        then run the cells on it."""
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            log.seek(0)
            log.truncate()  # what the last kernel printed is what explains its failure
            client = self._client(folder, attempt)
            self.kernel_started = False
            try:
                await self._run_on(client, log)
                return
            except Exception as exc:
                if self.kernel_started:
                    raise
                _release(client)
                if attempt == KERNEL_START_ATTEMPTS:
                    raise KernelStartError(f"{exc} ({attempt} attempts)") from exc
                # the kernel never started (on TCP, most often because another process took
                # one of its ports first): no cell has run, so a new kernel is safe to try
            finally:
                # nbclient leaves its exit hook registered when the start fails; at exit it
                # would fail on the client it already cleaned up
                atexit.unregister(client._cleanup_kernel)

    async def _run_on(self, client: NotebookClient, log: IO[bytes]) -> None:
        """Start ``client``'s kernel, ask it what it runs, and run every cell on it."""
        client.reset_execution_trackers()
        env = {**os.environ, **self.options.env}
        async with client.async_setup_kernel(env=env, stdout=log, stderr=log):
            self.kernel_started = True
            assert client.kc is not None
            reply = await client.async_wait_for_reply(await _ensure(client.kc.kernel_info()))
            if reply is not None and "language_info" in reply["content"]:
                self.nb.metadata["language_info"] = reply["content"]["language_info"]
            if self.use_probe:
                await _silent(client, probe.SETUP)
            try:
                await self._run_cells(client)
            finally:
                if client.shutdown_kernel != "immediate":  # idle: it can stop on its own
                    await _stop_kernel(client)

    async def _run_cells(self, client: NotebookClient) -> None:
        from nbclient.exceptions import CellExecutionError

        try:
            for index, cell in enumerate(self.nb.cells):
                await client.async_execute_cell(
                    cell, index, execution_count=client.code_cells_executed + 1
                )
            client.set_widgets_metadata()
        except CellExecutionError:
            if self.use_probe:  # the kernel is idle after a cell error: it can still report
                self.result.io = self._report(await _fetch_report(client))
            raise
        except BaseException:
            # timed out (kernel still busy) or dead: asking it for a report would only wait,
            # and so would a graceful shutdown
            client.shutdown_kernel = "immediate"
            raise
        if self.use_probe:
            self.result.io = self._report(await _fetch_report(client))

    def _report(self, io: dict[str, Any]) -> dict[str, Any]:
        """The probe's report, the preloaded modules counted as imported: the probe cannot
        tell them from the kernel's own, so a notebook may have used any of them."""
        if io and self.options.preload:
            tops = {name.partition(".")[0] for name in self.options.preload}
            io["imported"] = sorted(set(io.get("imported", [])) | tops)
        return io

    def _client(self, folder: Path, attempt: int) -> NotebookClient:
        from nbclient import NotebookClient

        from .provisioner import fork_config, kernel_manager_class

        config = kernel_transport(folder, attempt)
        config.merge(fork_config(self.options.preload))
        return NotebookClient(
            self.nb,
            config=config,
            # forked from a warm template where that applies (the provisioner falls back)
            kernel_manager_class=kernel_manager_class(self.options.kernel_start),
            timeout=self.options.timeout,
            kernel_name=self.kernel,
            allow_errors=self.options.allow_errors,
            record_timing=True,
            resources={"metadata": {"path": str(self.cwd)}},
            on_cell_execute=self._on_cell_execute,
            on_cell_executed=self._on_cell_executed,
            # ipykernel logs on every start that TCP is unencrypted, and at shutdown an ERROR
            # "KeyboardInterrupt caught in kernel" (jupyter_client always interrupts before it
            # shuts a kernel down): noise in every build log. Cell errors arrive as messages.
            extra_arguments=[
                *(["--IPKernelApp.log_level=CRITICAL"] if self.use_probe else []),
                *self.options.kernel_arguments,
            ],
            # nbclient logs the faults that come back in the result (and a failed start that
            # a retry then mends): the result, not the log, reports them
            log=_QUIET,
        )

    def _on_cell_execute(self, cell: NotebookNode, cell_index: int, **_: Any) -> None:
        self.cell_index = cell_index
        self._cell_start = time.perf_counter()

    def _on_cell_executed(self, cell: NotebookNode, cell_index: int, **_: Any) -> None:
        self.result.cell_seconds.append((cell_index, time.perf_counter() - self._cell_start))

    def _fail(self, exc: BaseException, log: IO[bytes]) -> None:
        """Make ``exc`` the run's error (the kernel's own output added where it explains)."""
        from nbclient.exceptions import CellExecutionError, CellTimeoutError

        fault = NotebookTimeoutError() if self.timed_out else exc
        self.result.error = to_error(
            fault,
            self.cell_index,
            self.kernel,
            self.options.notebook_timeout,
            nb=self.nb,
            timeout=self.options.timeout,
        )
        if not self.timed_out and not isinstance(exc, (CellExecutionError, CellTimeoutError)):
            # the kernel died or never started: its own output is the only account
            add_kernel_log(self.result.error, log)

    def _collect_artefacts(self) -> None:
        """The files the run wrote in its folder: those the probe saw, and those the folder
        comparison found (documents of the project only if the probe saw them written)."""
        writes = [Path(p) for p in self.result.io.get("writes", [])]
        found = self.watch.end(self.run_id, _inside(self.cwd, writes))
        self.result.warnings += found.warnings
        untracked = [
            self.cwd / rel for rel in found.files if not rel.endswith(self.source_suffixes)
        ]
        self.result.artefacts = _artefacts(
            self.cwd, writes + untracked, self.excluded, self.result.warnings
        )


def execute_notebook(
    nb: NotebookNode,
    cwd: str | os.PathLike[str],
    options: ExecutionOptions | None = None,
    **kwargs: Any,
) -> ExecutionResult:
    """Synchronous :func:`async_execute_notebook` (runs its own event loop)."""
    return asyncio.run(async_execute_notebook(nb, cwd, options, **kwargs))


#: seconds an idle kernel has to exit after its shutdown request before SIGTERM (as long
#: again before SIGKILL); one exits in about 0.1 s
SHUTDOWN_WAIT = 2.5


async def _stop_kernel(client: NotebookClient) -> None:
    """Stop an idle kernel with a shutdown request alone, and wait until it has exited.

    jupyter_client's ``shutdown_kernel`` interrupts the kernel (SIGINT) just before the
    request; when the interrupt lands while the kernel handles the request, about one
    shutdown in two here, the kernel stays up until ``shutdown_wait_time / 2`` (2.5 s) has
    passed and it is sent SIGTERM: 2.5 s on the critical path of every such notebook.
    nbclient's clean-up then finds the kernel gone and only releases its resources.
    """
    km = client.km
    if km is None:
        return
    try:
        await _ensure(km.request_shutdown())
        await _ensure(km.finish_shutdown(waittime=2 * SHUTDOWN_WAIT))
    except Exception:  # nbclient's own shutdown follows, and kills it if need be
        pass


def _release(client: NotebookClient) -> None:
    """Close what a kernel that failed to start left open: its client's channels, its
    manager's control socket and the zmq context the manager made, all with linger 0.

    nbclient cleans up after most failed starts, but not all (a start that raised before its
    client existed keeps the manager); a context left to the garbage collector is destroyed
    whenever a collection runs, with the default linger, and once hung a worker there.
    """
    kc, km = getattr(client, "kc", None), getattr(client, "km", None)
    try:
        if kc is not None:
            kc.stop_channels()
        if km is not None:
            control = getattr(km, "_control_socket", None)
            if control is not None and not control.closed:
                control.close(linger=0)
            # only a context the manager made: one passed in belongs to its owner
            if getattr(km, "_created_context", False) and not km.context.closed:
                km.context.destroy(linger=0)
    except Exception:  # best effort: the start's own failure is what the result tells
        pass
    client.kc = client.km = None


async def _ensure(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future) else value


async def _silent(client: Any, code: str, **kwargs: Any) -> dict[str, Any] | None:
    msg_id = client.kc.execute(code, silent=True, store_history=False, **kwargs)
    reply = await client.async_wait_for_reply(msg_id)
    return reply


async def _fetch_report(client: Any) -> dict[str, Any]:
    try:
        reply = await asyncio.wait_for(
            _silent(client, "", user_expressions={"r": probe.REPORT_EXPRESSION}), 30
        )
    except Exception:  # a dead kernel cannot report; the run's failure says why
        return {}
    if not reply:
        return {}
    expr = reply.get("content", {}).get("user_expressions", {}).get("r", {})
    return probe.parse_report(expr) or {}


def _inside(cwd: Path, paths: Iterable[Path]) -> list[str]:
    """The relative POSIX paths of those of ``paths`` inside ``cwd``."""
    out = []
    for path in paths:
        try:
            out.append(path.relative_to(cwd).as_posix())
        except ValueError:
            continue
    return out


def _artefacts(
    cwd: Path, candidates: Iterable[Path], excluded: list[Path], warnings: list[str]
) -> dict[str, Path]:
    """Of the files the run wrote, those that are its artefacts: files in its folder.

    A path in the folder that a symbolic link leads out of it is refused, with a warning
    added to ``warnings``: restoring it later would write outside the project.
    """
    out: dict[str, Path] = {}
    for path in candidates:
        try:
            rel = path.relative_to(cwd)
        except ValueError:
            continue
        if not path.is_file() or any(part in IGNORED_DIRS for part in rel.parts):
            continue
        if any(path == ex or ex in path.parents for ex in excluded):
            continue
        try:
            relative_inside(path, cwd)
        except ArtefactError:
            warnings.append(
                f"'{rel.as_posix()}' is not recorded as an artefact: it resolves to "
                f"{path.resolve()}, outside the notebook's folder (a symbolic link?)"
            )
            continue
        out[rel.as_posix()] = path
    return out

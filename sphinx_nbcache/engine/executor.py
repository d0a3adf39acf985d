"""Execute one notebook with nbclient, and collect what a cache record needs.

Every failure (a cell error, a cell or notebook timeout, a kernel that dies, never starts or
is not installed) comes back as an :class:`ExecutionResult` whose ``error`` is set: nothing
here raises for a notebook's own fault.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import re
import tempfile
import time
from asyncio import CancelledError
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from nbformat import NotebookNode

from . import probe
from .ansi import strip_ansi
from .errors import ArtefactError, ExecutionError
from .files import IGNORED_DIRS, relative_inside
from .hashing import kernel_of
from .options import ExecutionOptions
from .watch import FolderWatch

#: how many kernels are started for one notebook before its failure to start is its result
KERNEL_START_ATTEMPTS = 3


#: failures of the machine rather than of the notebook: fixing them changes none of its
#: inputs, so they are tried again rather than remembered (``ExecutionError.ename``)
ENVIRONMENT_FAULTS = frozenset({"NoSuchKernel", "KernelStartError"})


#: talk to kernels over Unix sockets (not on Windows, which has none for zmq)
IPC = os.name != "nt"


def _transport(sockets: str | None) -> Any:
    from traitlets.config import Config

    if sockets is None:
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": sockets}})


class _KernelStartError(RuntimeError):
    """Every attempt to start the notebook's kernel failed."""


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

    @property
    def ok(self) -> bool:
        return self.error is None

    def data(self) -> dict[str, Any]:
        """Execution data for the cache record."""
        info = self.nb.metadata.get("language_info", {})
        return {
            "seconds": round(self.seconds, 3),
            "cells": [[i, round(s, 3)] for i, s in self.cell_seconds],
            "kernel": self.kernel,
            "language": self.language,
            "language_version": info.get("version"),
            "python": self.io.get("python"),
            "ipykernel": self.io.get("ipykernel"),
            "started": self.started,
        }


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
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    options = options if options is not None else ExecutionOptions()
    timeout, notebook_timeout = options.timeout, options.notebook_timeout
    allow_errors, env = options.allow_errors, options.env
    kernel_arguments = options.kernel_arguments
    default_kernel, language = kernel_of(nb)
    kernel = options.kernel_name or default_kernel
    cwd = Path(cwd).absolute()
    result = ExecutionResult(nb=nb, kernel=kernel, language=language, started=time.time())
    excluded = [Path(p).absolute() for p in exclude]
    if source_path is not None:
        excluded.append(Path(source_path).absolute())
    use_probe = language == "python"
    # the probe sees only Python's open(): a subprocess, a C library or os.replace write
    # files it never sees, so the folder is compared before and after as well
    if watch is None:
        watch = FolderWatch(cwd, excluded)
    timings: dict[int, float] = {}
    current: dict[str, int] = {}

    def on_cell_execute(cell: NotebookNode, cell_index: int, **_: Any) -> None:
        current["index"] = cell_index
        timings[cell_index] = time.perf_counter()

    def on_cell_executed(cell: NotebookNode, cell_index: int, **_: Any) -> None:
        result.cell_seconds.append((cell_index, time.perf_counter() - timings[cell_index]))

    def new_client(sockets: str | None) -> NotebookClient:
        return NotebookClient(
            nb,
            config=_transport(sockets),
            timeout=timeout if timeout is not None else None,
            kernel_name=kernel,
            allow_errors=allow_errors,
            record_timing=True,
            resources={"metadata": {"path": str(cwd)}},
            on_cell_execute=on_cell_execute,
            on_cell_executed=on_cell_executed,
            # ipykernel logs on every start that TCP is unencrypted, and at shutdown an ERROR
            # "KeyboardInterrupt caught in kernel" (jupyter_client always interrupts before it
            # shuts a kernel down): noise in every build log. Cell errors arrive as messages.
            extra_arguments=[
                *(["--IPKernelApp.log_level=CRITICAL"] if language == "python" else []),
                *kernel_arguments,
            ],
            # nbclient logs the faults that come back in the result (and a failed start that
            # a retry then mends): the result, not the log, reports them
            log=_QUIET,
        )

    kernel_env = {**os.environ, **(env or {})}

    async def run(log: IO[bytes], sockets: str | None) -> None:
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            log.seek(0)
            log.truncate()  # what the last kernel printed is what explains its failure
            client = new_client(os.path.join(sockets, f"k{attempt}") if sockets else None)
            started: list[bool] = []
            try:
                await run_with(client, log, started)
                return
            except Exception as exc:
                if started:
                    raise
                if attempt == KERNEL_START_ATTEMPTS:
                    raise _KernelStartError(f"{exc} ({attempt} attempts)") from exc
                # the kernel never started (on TCP, most often because another process took
                # one of its ports first): no cell has run, so a new kernel is safe to try
            finally:
                # nbclient leaves its exit hook registered when the start fails; at exit it
                # would fail on the client it already cleaned up
                atexit.unregister(client._cleanup_kernel)

    async def run_with(client: NotebookClient, log: IO[bytes], started: list[bool]) -> None:
        client.reset_execution_trackers()
        async with client.async_setup_kernel(env=kernel_env, stdout=log, stderr=log):
            started.append(True)
            assert client.kc is not None
            reply = await client.async_wait_for_reply(await _ensure(client.kc.kernel_info()))
            if reply is not None and "language_info" in reply["content"]:
                nb.metadata["language_info"] = reply["content"]["language_info"]
            if use_probe:
                await _silent(client, probe.SETUP)
            try:
                for index, cell in enumerate(nb.cells):
                    await client.async_execute_cell(
                        cell, index, execution_count=client.code_cells_executed + 1
                    )
                client.set_widgets_metadata()
            except CellExecutionError:
                if use_probe:  # the kernel is idle after a cell error: it can still report
                    result.io = await _fetch_report(client)
                raise
            except BaseException:
                # timed out (kernel still busy) or dead: asking it for a report would only
                # wait, and so would a graceful shutdown
                client.shutdown_kernel = "immediate"
                raise
            if use_probe:
                result.io = await _fetch_report(client)

    timed_out = False

    async def run_until_deadline(log: IO[bytes], sockets: str | None) -> None:
        # not asyncio.wait_for: nbclient turns the cancellation into DeadKernelError, so a
        # timeout could not be told from a dead kernel afterwards
        nonlocal timed_out
        task = asyncio.ensure_future(run(log, sockets))

        def stop() -> None:
            nonlocal timed_out
            timed_out = True
            task.cancel()

        handle = asyncio.get_running_loop().call_later(notebook_timeout or 0, stop)
        try:
            await task
        finally:
            handle.cancel()

    start = time.perf_counter()
    missing = _missing_kernel(kernel)
    if missing is not None:
        result.error = missing
        return result
    # the kernel process's own stdout and stderr (not the cells' output, which arrives as
    # messages): tornado and zmq log shutdown races there that would land in the build log.
    # Kept aside, it is shown only when the kernel dies or never starts, where it says why.
    # Unix sockets in a private folder rather than TCP ports: jupyter_client picks free ports,
    # closes them and lets the kernel bind them, and another process can take one in between
    # (the kernel then dies, or, worse, the client talks to another kernel's socket)
    sockets_folder: AbstractContextManager[str | None] = (
        tempfile.TemporaryDirectory(prefix="nbcache-", ignore_cleanup_errors=True)
        if IPC
        else nullcontext()
    )
    watch.start(run_id, run_name or (Path(source_path).name if source_path else str(cwd)))
    with tempfile.TemporaryFile() as log, sockets_folder as sockets:
        try:
            await (run_until_deadline(log, sockets) if notebook_timeout else run(log, sockets))
        except BaseException as exc:  # every notebook fault becomes a result, never a crash
            if not timed_out and isinstance(exc, (KeyboardInterrupt, SystemExit, CancelledError)):
                raise
            fault = asyncio.TimeoutError() if timed_out else exc
            result.error = _to_error(
                fault, current.get("index"), kernel, notebook_timeout, nb=nb, timeout=timeout
            )
            if not timed_out and not isinstance(exc, (CellExecutionError, CellTimeoutError)):
                # the kernel died or never started: its own output is the only account
                _add_kernel_log(result.error, log)
    result.seconds = time.perf_counter() - start
    writes = [Path(p) for p in result.io.get("writes", [])]
    found = watch.end(run_id, _inside(cwd, writes))
    result.warnings += found.warnings
    untracked = [cwd / rel for rel in found.files if not rel.endswith(tuple(source_suffixes))]
    result.artefacts = _artefacts(cwd, writes + untracked, excluded, result.warnings)
    return result


def execute_notebook(
    nb: NotebookNode,
    cwd: str | os.PathLike[str],
    options: ExecutionOptions | None = None,
    **kwargs: Any,
) -> ExecutionResult:
    """Synchronous :func:`async_execute_notebook` (runs its own event loop)."""
    return asyncio.run(async_execute_notebook(nb, cwd, options, **kwargs))


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


def _missing_kernel(kernel: str) -> ExecutionError | None:
    """Check the kernelspec first: jupyter_client would log a traceback before raising."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        return _to_error(NoSuchKernel(kernel), None, kernel, None)
    return None


def _to_error(
    exc: BaseException,
    index: int | None,
    kernel: str,
    notebook_timeout: float | None,
    *,
    nb: NotebookNode | None = None,
    timeout: float | None = None,
) -> ExecutionError:
    """The failure ``exc`` as one sentence naming the cell and what to do.

    :param index: the failing cell's index in ``nb.cells``, if a cell was running.
    :param timeout: the per-cell limit in force, named in a timeout's message.
    """
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    cell = f"cell {index + 1}: " if index is not None else ""
    if isinstance(exc, CellExecutionError):
        _trim_kernel_frames(nb, index)
        if exc.ename == "StdinNotImplementedError":
            # the kernel's own frames say nothing the user can act on
            return ExecutionError(
                f"{cell}input() is not available when a notebook executes in a build",
                cell_index=index,
                traceback=_kernel_traceback(nb, index),
                ename=exc.ename,
            )
        summary = f"{exc.ename}: {exc.evalue}".strip(": ")
        return ExecutionError(
            f"{cell}{summary}",
            cell_index=index,
            traceback=_kernel_traceback(nb, index) or strip_ansi(str(exc.traceback)),
            ename=exc.ename,
        )
    if isinstance(exc, CellTimeoutError):
        # nbclient's text ("A cell timed out while it was being executed, after ...") is
        # neither added nor kept as the traceback: the sentence says it all
        if not timeout:  # a limit from elsewhere (cell metadata): nbclient's text names it
            found = re.search(r"after (\d+(?:\.\d+)?) seconds", str(exc))
            timeout = float(found.group(1)) if found else None
        limit = f" after {timeout:g} s" if timeout else ""
        return ExecutionError(
            f"{cell}the cell timed out{limit}; raise nbcache_timeout in conf.py (or "
            '"timeout" under "nbcache" in the notebook metadata) or make the cell faster',
            cell_index=index,
            ename="CellTimeoutError",
        )
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)) and notebook_timeout:
        return ExecutionError(
            f"{cell}the notebook ran longer than {notebook_timeout} s and was stopped",
            cell_index=index,
            ename="NotebookTimeoutError",
        )
    if isinstance(exc, DeadKernelError):
        return ExecutionError(
            f"{cell}the kernel died ({exc})", cell_index=index, ename="DeadKernelError"
        )
    if isinstance(exc, _KernelStartError):
        return ExecutionError(
            f"kernel {kernel!r} did not start: {exc}",
            ename="KernelStartError",
        )
    if isinstance(exc, NoSuchKernel):
        return ExecutionError(
            f"kernel {kernel!r} is not installed; `jupyter kernelspec list` shows the "
            "installed kernels (set the notebook's kernelspec or a kernel alias)",
            ename="NoSuchKernel",
        )
    return ExecutionError(
        f"{cell}{type(exc).__name__}: {exc}".rstrip(": "),
        cell_index=index,
        traceback=strip_ansi(str(exc)),
        ename=type(exc).__name__,
    )


KERNEL_LOG_LINES = 20


def _add_kernel_log(error: ExecutionError, log: IO[bytes]) -> None:
    """Append the last lines the kernel process printed to ``error``'s traceback."""
    log.seek(0)
    text = strip_ansi(log.read().decode("utf-8", "replace")).strip()
    if not text:
        return
    tail = "\n".join(text.splitlines()[-KERNEL_LOG_LINES:])
    error.traceback = "\n".join(
        part for part in (error.traceback, f"the kernel process printed:\n{tail}") if part
    )


def _is_kernel_frame(entry: str) -> bool:
    """Whether a traceback entry is a frame of the kernel's own code (ipykernel)."""
    text = strip_ansi(entry).lstrip()
    return text.startswith("File ") and re.search(r"[\\/]ipykernel[\\/]", text) is not None


def _trim_kernel_frames(nb: NotebookNode | None, index: int | None) -> None:
    """Drop the kernel's frames from the failed cell's error output (``input()`` ends in
    ipykernel's ``raw_input``): the page and the warning show the user's frames only."""
    if nb is None or index is None:
        return
    for out in nb.cells[index].get("outputs", []):
        if out.get("output_type") == "error":
            out["traceback"] = [e for e in out.get("traceback", []) if not _is_kernel_frame(e)]


def _kernel_traceback(nb: NotebookNode | None, index: int | None) -> str:
    """The traceback the kernel sent for a failed cell, without colour codes.

    nbclient's own ``CellExecutionError`` text adds a preamble and the cell's source.
    """
    if nb is None or index is None:
        return ""
    for out in nb.cells[index].get("outputs", []):
        if out.get("output_type") == "error":
            return strip_ansi("\n".join(out.get("traceback", [])))
    return ""


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

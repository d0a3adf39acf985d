"""What went wrong in a run, as one sentence: each kind of fault mapped by a table.

A row of :data:`FAULTS` names the exception it reads, the name recorded with the failure
(``ExecutionError.ename``), whether the fault is the machine's rather than the notebook's,
and how its sentence is written. The exceptions of nbclient and jupyter_client are named by
path and imported only when a fault is read, so that importing this module stays cheap.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import IO, TYPE_CHECKING, Any

from .ansi import strip_ansi
from .errors import ExecutionError
from .kernels import KernelStartError

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: how many of the last lines a dead kernel printed are kept with its failure
KERNEL_LOG_LINES = 20


class NotebookTimeoutError(Exception):
    """The whole notebook ran longer than its limit (``notebook_timeout``) and was stopped."""


@dataclass(frozen=True)
class Context:
    """Where a fault happened, for its sentence."""

    #: the running cell's index in ``nb.cells``, if a cell was running
    index: int | None
    kernel: str
    notebook_timeout: float | None = None
    nb: NotebookNode | None = None
    #: the per-cell limit in force
    timeout: float | None = None

    @property
    def cell(self) -> str:
        return f"cell {self.index + 1}: " if self.index is not None else ""


#: (message, traceback) for a fault in its context
Explain = Callable[[Any, Context], tuple[str, str]]


@dataclass(frozen=True)
class Fault:
    """How one kind of fault is told."""

    #: the exception class, or its ``"module:Class"`` path
    exception: type[BaseException] | str
    #: the name recorded with the failure; ``""``: the one the kernel reported (a cell error)
    ename: str
    #: a fault of the machine, not of the notebook: fixing it changes none of the notebook's
    #: inputs, so its failure is tried again rather than remembered
    machine: bool
    explain: Explain
    #: whether the failure names the running cell (a kernel that never started ran none)
    at_cell: bool = True

    def resolve(self) -> type[BaseException]:
        if not isinstance(self.exception, str):
            return self.exception
        module, _, name = self.exception.partition(":")
        found: type[BaseException] = getattr(importlib.import_module(module), name)
        return found


def _cell_error(exc: Any, ctx: Context) -> tuple[str, str]:
    _trim_kernel_frames(ctx.nb, ctx.index)
    if exc.ename == "StdinNotImplementedError":
        # the kernel's own frames say nothing the user can act on
        message = "input() is not available when a notebook executes in a build"
        return f"{ctx.cell}{message}", _kernel_traceback(ctx.nb, ctx.index)
    summary = f"{exc.ename}: {exc.evalue}".strip(": ")
    traceback = _kernel_traceback(ctx.nb, ctx.index) or strip_ansi(str(exc.traceback))
    return f"{ctx.cell}{summary}", traceback


def _cell_timeout(exc: Any, ctx: Context) -> tuple[str, str]:
    # nbclient's text ("A cell timed out while it was being executed, after ...") is neither
    # added nor kept as the traceback: the sentence says it all
    timeout = ctx.timeout
    if not timeout:  # a limit from elsewhere (cell metadata): nbclient's text names it
        found = re.search(r"after (\d+(?:\.\d+)?) seconds", str(exc))
        timeout = float(found.group(1)) if found else None
    limit = f" after {timeout:g} s" if timeout else ""
    return (
        f"{ctx.cell}the cell timed out{limit}; raise nbcache_timeout in conf.py (or "
        '"timeout" under "nbcache" in the notebook metadata) or make the cell faster',
        "",
    )


def _notebook_timeout(exc: Any, ctx: Context) -> tuple[str, str]:
    return f"{ctx.cell}the notebook ran longer than {ctx.notebook_timeout} s and was stopped", ""


def _dead_kernel(exc: Any, ctx: Context) -> tuple[str, str]:
    return f"{ctx.cell}the kernel died ({exc})", ""


def _start_failed(exc: Any, ctx: Context) -> tuple[str, str]:
    return f"kernel {ctx.kernel!r} did not start: {exc}", ""


def _not_installed(exc: Any, ctx: Context) -> tuple[str, str]:
    return (
        f"kernel {ctx.kernel!r} is not installed; `jupyter kernelspec list` shows the "
        "installed kernels (set the notebook's kernelspec or a kernel alias)",
        "",
    )


def _anything_else(exc: BaseException, ctx: Context) -> tuple[str, str]:
    return f"{ctx.cell}{type(exc).__name__}: {exc}".rstrip(": "), strip_ansi(str(exc))


#: every fault with a sentence of its own; any other exception is told by its type and text
FAULTS: tuple[Fault, ...] = (
    Fault("nbclient.exceptions:CellExecutionError", "", False, _cell_error),
    Fault("nbclient.exceptions:CellTimeoutError", "CellTimeoutError", False, _cell_timeout),
    Fault(NotebookTimeoutError, "NotebookTimeoutError", False, _notebook_timeout),
    Fault("nbclient.exceptions:DeadKernelError", "DeadKernelError", False, _dead_kernel),
    Fault(KernelStartError, "KernelStartError", True, _start_failed, at_cell=False),
    Fault("jupyter_client.kernelspec:NoSuchKernel", "NoSuchKernel", True, _not_installed, False),
)

#: a cluster's failures (:mod:`.dask_backend` names them): a worker lost under the notebook,
#: a worker that failed, files past the ship limit
CLUSTER_FAULTS = frozenset({"WorkerLostError", "WorkerError", "ShipLimitError"})

#: failures of the machine rather than of the notebook: fixing them changes none of its
#: inputs, so they are tried again rather than remembered (``ExecutionError.ename``)
ENVIRONMENT_FAULTS = frozenset(fault.ename for fault in FAULTS if fault.machine) | CLUSTER_FAULTS


@cache
def _by_type() -> dict[type[BaseException], Fault]:
    return {fault.resolve(): fault for fault in FAULTS}


def fault_of(exc: BaseException) -> Fault | None:
    """The row that tells ``exc``: that of its class or of its nearest base class."""
    table = _by_type()
    return next((table[cls] for cls in type(exc).__mro__ if cls in table), None)


def to_error(
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
    ctx = Context(index, kernel, notebook_timeout, nb, timeout)
    fault = fault_of(exc)
    if fault is None:
        message, traceback = _anything_else(exc, ctx)
        return ExecutionError(
            message, cell_index=index, traceback=traceback, ename=type(exc).__name__
        )
    message, traceback = fault.explain(exc, ctx)
    return ExecutionError(
        message,
        cell_index=index if fault.at_cell else None,
        traceback=traceback,
        ename=fault.ename or str(getattr(exc, "ename", "")),
    )


def add_kernel_log(error: ExecutionError, log: IO[bytes]) -> None:
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

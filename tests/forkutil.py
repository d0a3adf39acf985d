"""Shared by the tests of forked kernels (tests/test_fork_*.py): tiny notebooks, their runs,
and what is alive afterwards. Real kernels, forked from a real template."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from nbformat import NotebookNode, v4

from sphinx_nbcache.engine.executor import ExecutionResult, execute_notebook
from sphinx_nbcache.engine.options import ExecutionOptions

SPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook(*cells: str, kernel: dict[str, str] = SPEC) -> NotebookNode:
    nb = v4.new_notebook(cells=[v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = dict(kernel)
    return nb


def run(cwd: Path, *cells: str, **options: object) -> ExecutionResult:
    """Run a notebook of ``cells`` in ``cwd`` (forked unless ``kernel_start`` says not)."""
    return execute_notebook(notebook(*cells), cwd, ExecutionOptions(**options))  # type: ignore[arg-type]


def stdout(result: ExecutionResult) -> list[str]:
    """Each code cell's printed text."""
    return [
        "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
        for cell in result.nb.cells
    ]


def gone(pid: int) -> bool:
    """Whether process ``pid`` has exited (a zombie not reaped by its adopter counts)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    except OSError:
        state = ""
    if state == "Z":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_for(condition: Callable[[], bool], what: str, limit: float = 30) -> None:
    # a bound against hanging, not a timing: the conditions hold long before it
    end = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < end, what
        time.sleep(0.1)


def all_gone(pids: Sequence[int]) -> bool:
    return all(gone(pid) for pid in pids)

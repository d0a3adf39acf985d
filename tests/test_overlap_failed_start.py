"""A kernel that fails to start leaves nothing of zmq open for the garbage collector."""

from __future__ import annotations

import gc
import json

import pytest
import zmq
from nbformat.v4 import new_code_cell, new_notebook

from sphinx_nbcache.engine import ExecutionOptions
from sphinx_nbcache.engine.executor import execute_notebook

KERNELS = {
    # starts, then exits before it answers
    "exits-at-once": ["false"],
    # its interpreter is not there
    "no-interpreter": ["/nonexistent/bin/python3", "-m", "ipykernel_launcher", "-f", "{c}"],
}


def open_contexts() -> list[zmq.Context]:
    return [o for o in gc.get_objects() if isinstance(o, zmq.Context) and not o.closed]


@pytest.fixture
def failing_kernels(tmp_path, monkeypatch):
    for name, argv in KERNELS.items():
        spec = tmp_path / "jupyter" / "kernels" / name
        spec.mkdir(parents=True)
        argv = [a.replace("{c}", "{connection_file}") for a in argv]
        spec.joinpath("kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": name, "language": "python"})
        )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))


@pytest.mark.parametrize("kernel_start", ["spawn", "fork"])
@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_failed_start_closes_its_zmq_context(failing_kernels, tmp_path, kernel, kernel_start):
    spec = {"name": kernel, "display_name": kernel, "language": "python"}
    nb = new_notebook(cells=[new_code_cell("print(1)")], metadata={"kernelspec": spec})
    before = len(open_contexts())
    # no collection may run meanwhile: what is left must have been closed by us, not by gc
    gc.disable()
    try:
        result = execute_notebook(nb, tmp_path, ExecutionOptions(kernel_start=kernel_start))
        left = len(open_contexts())
    finally:
        gc.enable()
    assert result.error is not None
    assert f"kernel '{kernel}' did not start" in str(result.error)
    assert "3 attempts" in str(result.error)
    assert left == before
    assert result.nb.cells[0].outputs == []


def test_a_started_kernel_still_runs(tmp_path):
    """The release is for failed starts only: a good kernel runs and its context closes."""
    nb = new_notebook(
        cells=[new_code_cell("print(6 * 7)")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    before = len(open_contexts())
    result = execute_notebook(nb, tmp_path, ExecutionOptions(kernel_start="spawn"))
    assert result.error is None, result.error
    assert result.nb.cells[0].outputs[0]["text"] == "42\n"
    gc.collect()
    assert len(open_contexts()) == before

"""When a kernel cannot be forked it starts normally, the reason logged once (issue 11).

A kernelspec of another shape (ipykernel started by ``-c``, not ``-m ipykernel_launcher``), a
template that fails to start (a preload that does not exist), ``kernel_start="spawn"``, and
options the engine refuses outright.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path

import pytest
from forkutil import notebook, run, stdout

from sphinx_nbcache.engine import forking, provisioner
from sphinx_nbcache.engine.executor import execute_notebook
from sphinx_nbcache.engine.options import ExecutionOptions

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
PARENT = "import json, os; print(json.dumps(os.getppid()))"
LOGGER = "sphinx_nbcache.engine.forking"


@pytest.fixture
def odd_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec ``odd`` whose argv starts ipykernel with ``-c``."""
    folder = tmp_path / "share" / "jupyter" / "kernels" / "odd"
    folder.mkdir(parents=True)
    argv = [
        sys.executable,
        "-c",
        "from ipykernel import kernelapp; kernelapp.launch_new_instance()",
        "-f",
        "{connection_file}",
    ]
    spec = {"argv": argv, "display_name": "Odd", "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    provisioner._said.clear()  # "once" is once per process: this test counts its own
    return "odd"


def _fork_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_another_kernelspec_shape_starts_normally_logged_once(
    tmp_path: Path, odd_kernel: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger=LOGGER)
    kernel = {"name": odd_kernel, "display_name": "Odd", "language": "python"}
    parents = []
    for _ in range(2):
        result = execute_notebook(notebook(PARENT, kernel=kernel), tmp_path, ExecutionOptions())
        assert result.ok, result.error
        parents.append(json.loads(stdout(result)[0]))
    assert parents == [os.getpid(), os.getpid()]  # spawned by this process, both times
    records = _fork_records(caplog)
    assert len(records) == 1, records
    assert "not for kernel 'odd'" in records[0]
    assert "is not [python, -m, ipykernel_launcher" in records[0]


def test_a_template_that_cannot_start_leaves_kernels_to_start_normally(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    provisioner._said.clear()
    caplog.set_level(logging.INFO, logger=LOGGER)
    preload = ("nbcache_no_such_module_anywhere",)
    parents = []
    for _ in range(2):
        result = run(tmp_path, PARENT, preload=preload)
        assert result.ok, result.error
        parents.append(json.loads(stdout(result)[0]))
    assert parents == [os.getpid(), os.getpid()]
    records = _fork_records(caplog)
    assert len(records) == 1, records
    assert "nbcache_no_such_module_anywhere" in records[0]
    assert "kernels start normally" in records[0]


def test_spawn_starts_every_kernel_as_a_new_process(tmp_path: Path):
    result = run(tmp_path, PARENT, kernel_start="spawn")
    assert result.ok, result.error
    assert json.loads(stdout(result)[0]) == os.getpid()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kernel_start": "vfork"}, "kernel_start 'vfork' is not one of fork, spawn"),
        ({"preload": "numpy"}, "preload must be a list of module names, not the string"),
        ({"preload": ["numpy", "not a module"]}, "preload: 'not a module' is not a module name"),
    ],
)
def test_bad_options_are_refused_clearly(options: dict, message: str):
    with pytest.raises(ValueError, match=message):
        ExecutionOptions(**options)


def test_a_template_that_dies_mid_build_leaves_kernels_to_start_normally(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """The template is killed between two notebooks: the next ones start normally, the
    reason logged once, and no template is started again in this build."""
    provisioner._said.clear()
    caplog.set_level(logging.INFO, logger=LOGGER)
    forking.shutdown_templates()
    try:
        first = run(tmp_path, PARENT)
        assert first.ok, first.error
        (template,) = forking._templates.values()
        assert json.loads(stdout(first)[0]) == template.pid != os.getpid()
        os.kill(template.pid, signal.SIGKILL)
        parents = []
        for _ in range(2):
            result = run(tmp_path, PARENT)
            assert result.ok, result.error
            parents.append(json.loads(stdout(result)[0]))
        assert parents == [os.getpid(), os.getpid()]
        assert list(forking._templates.values()) == [template]  # not started again
        records = _fork_records(caplog)
        assert len(records) == 1, records
        assert "kernels start normally" in records[0]
        assert "the template" in records[0]
    finally:
        forking.shutdown_templates()  # the next tests get a template of their own

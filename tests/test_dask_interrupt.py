"""A build that stops while its notebooks run on a Dask cluster (issue 12).

Real ``sphinx-build`` processes against a ``dask scheduler`` and a ``dask worker`` started as
processes. The notebook tells its kernel's pid, then waits for a release file that the test
never writes during the first build, then writes a file: so a task left running on the
worker would keep its kernel alive, and write the file once released.

- Ctrl-C (SIGINT to the build alone): the build stops with an interrupt, the worker stops
  the notebook (its kernel ends, no task is left executing), nothing is cached as failed.
- The scheduler killed while the notebook runs: the build stops with one error naming the
  scheduler's address, nothing is cached as failed, and the next build, the scheduler back,
  executes the notebook.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from buildutil import SPEC
from dask_project import DaskProcesses, dask_processes, pid_alive, wait_until
from nbformat import v4

from sphinx_nbcache.engine import NotebookCache

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:distributed.*")

CONF = """\
import os
extensions = ["sphinx_nbcache"]
exclude_patterns = ["_build"]
nbcache_execution_mode = "cache"
nbcache_executor = os.environ["NBCACHE_TEST_EXECUTOR"]
"""
WAIT = """\
import os, pathlib, time
pathlib.Path({started!r}).write_text(str(os.getpid()))
while not pathlib.Path({release!r}).exists():
    time.sleep(0.1)
pathlib.Path({late!r}).write_text('written after the release')
print('released')
"""


class Build:
    """A project of one waiting notebook, built by ``sphinx-build`` processes."""

    def __init__(self, root: Path) -> None:
        self.src = root / "src"
        self.src.mkdir()
        self.started, self.release, self.late = (root / n for n in ("started", "release", "late"))
        (self.src / "conf.py").write_text(CONF)
        (self.src / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   waits\n")
        nb = v4.new_notebook(metadata={"kernelspec": SPEC})
        code = WAIT.format(
            started=str(self.started), release=str(self.release), late=str(self.late)
        )
        nb.cells = [v4.new_markdown_cell("# Waits"), v4.new_code_cell(code)]
        nbformat.write(nb, self.src / "waits.ipynb")

    def start(self, address: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-q"]
        return subprocess.Popen(
            [*command, str(self.src), str(self.src / "_build/html")],
            env={**os.environ, "NBCACHE_TEST_EXECUTOR": address, "NO_COLOR": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def kernel_pid(self) -> int:
        wait_until(self.started.exists, what="started")
        wait_until(lambda: self.started.read_text().strip(), what="told its pid")
        return int(self.started.read_text())

    def cache(self) -> tuple[list[str], list[str]]:
        """The URIs of the records and of the failures in the cache."""
        if not (self.src / ".nbcache").exists():
            return [], []
        with NotebookCache(self.src / ".nbcache") as cache:
            records = [r.uri for r in cache.list_records()]
            return records, [f.uri for f in cache.list_failures()]


def _executing(address: str) -> int:
    """How many tasks the cluster's workers are executing."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        counts = client.run(lambda dask_worker: len(dask_worker.state.executing))
    return sum(counts.values())


def test_ctrl_c_stops_the_build_and_its_notebook_on_the_worker(tmp_path: Path) -> None:
    build = Build(tmp_path)
    with dask_processes(workers=1) as cluster:
        process = build.start(cluster.address)
        kernel = build.kernel_pid()
        process.send_signal(signal.SIGINT)  # the build only: the cluster is not its group
        output, _ = process.communicate(timeout=120)

        assert process.returncode == 2, output
        assert "Interrupted!" in output
        wait_until(lambda: not pid_alive(kernel), what="kernel ended")
        assert _executing(cluster.address) == 0
        build.release.write_text("")  # a task still running would now write the file
        assert cluster.scheduler is not None and cluster.scheduler.poll() is None
    assert not build.late.exists()
    assert build.cache() == ([], [])  # nothing cached, as failed or at all


def test_the_scheduler_lost_mid_build_is_one_error_naming_it_and_the_next_build_runs_it(
    tmp_path: Path,
) -> None:
    build = Build(tmp_path)
    cluster = DaskProcesses()
    try:
        cluster.start(workers=1)
        process = build.start(cluster.address)
        kernel = build.kernel_pid()
        cluster.kill_scheduler()
        output, _ = process.communicate(timeout=120)

        assert process.returncode == 2, output
        assert f"the Dask scheduler at {cluster.address} was lost while waits.ipynb ran" in output
        assert "no notebook was marked failed" in output
        assert build.cache() == ([], [])
        # the worker, its scheduler gone, stops the notebook rather than run it for nobody
        wait_until(lambda: not pid_alive(kernel), what="kernel ended")
        cluster.stop()

        build.release.write_text("")
        cluster.start(workers=1)  # the scheduler back, at the same address
        again = build.start(cluster.address)
        output, _ = again.communicate(timeout=180)
        assert again.returncode == 0, output
        assert build.cache() == (["waits.ipynb"], [])
        assert build.late.exists()
        assert "released" in (build.src / "_build/html/waits.html").read_text()
    finally:
        cluster.stop()

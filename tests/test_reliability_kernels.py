"""A build killed outright leaves its kernels' folder behind; the next run sweeps it (issue 14).

Real processes: a script executes a notebook, is killed with SIGKILL while its kernel runs a
cell, and a second script's run then finds and removes what the first left.
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from forkutil import gone

pytestmark = pytest.mark.skipif(platform.system() == "Windows", reason="no kill -9 there")

RUN = """\
import sys
from nbformat import v4
from sphinx_nbcache.engine.executor import execute_notebook

nb = v4.new_notebook(cells=[v4.new_code_cell(sys.argv[2])])
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
result = execute_notebook(nb, sys.argv[1])
print("ok" if result.ok else result.error)
"""

SLEEPS = (
    "import os, pathlib, time\n"
    "pathlib.Path('kernel.pid').write_text(str(os.getpid()))\n"
    "time.sleep(120)"
)


def _wait_for(condition, what: str, limit: float = 60) -> None:
    # a bound against hanging, not a timing: the conditions hold long before it
    end = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < end, what
        time.sleep(0.2)


def test_a_killed_run_leaves_its_folder_and_the_next_run_sweeps_it(tmp_path: Path) -> None:
    scratch, work = tmp_path / "tmp", tmp_path / "work"
    scratch.mkdir()
    work.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    killed = subprocess.Popen([sys.executable, "-c", RUN, str(work), SLEEPS], env=env)
    try:
        _wait_for(lambda: (work / "kernel.pid").is_file(), "the cell never started")
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    kernel_pid = int((work / "kernel.pid").read_text())

    (left,) = scratch.iterdir()  # the connection files are in it, not beside it
    assert left.name.startswith(f"nbcache-{killed.pid}-")
    assert (left / "k1.json").is_file()

    # the orphaned kernel exits on its own (ipykernel polls its parent)
    _wait_for(lambda: gone(kernel_pid), "the orphaned kernel is still running")

    # a folder of a live process (this one) is kept, even old; so is a fresh orphan's
    live = scratch / f"nbcache-{os.getpid()}-live"
    live.mkdir()
    fresh = scratch / "nbcache-999999999-fresh"  # no such pid
    fresh.mkdir()
    for folder in (left, live):
        os.utime(folder, (time.time() - 3600, time.time() - 3600))
    proc = subprocess.run(
        [sys.executable, "-c", RUN, str(work), "print(1)"], env=env, capture_output=True, text=True
    )
    assert proc.stdout == "ok\n", proc.stderr
    assert sorted(p.name for p in scratch.iterdir()) == sorted([live.name, fresh.name])


def test_kernels_start_from_a_temporary_folder_too_long_for_sockets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a Unix socket path has at most 107 bytes on Linux: a long TMPDIR would leave every
    # kernel unable to bind (three start attempts, then a failed notebook) and its client's
    # sockets open (a later garbage collection then hung in zmq's Context.term)
    from nbformat import v4

    from sphinx_nbcache.engine import ExecutionOptions
    from sphinx_nbcache.engine.executor import execute_notebook

    deep = tmp_path / ("d" * 60) / ("e" * 40)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells.append(v4.new_code_cell("print('started')"))
    result = execute_notebook(nb, tmp_path, ExecutionOptions())
    assert result.ok, result.error
    assert result.nb.cells[0].outputs[0]["text"] == "started\n"


def test_a_build_that_starts_no_kernel_still_sweeps_what_killed_builds_left(
    make_app, rootdir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # found by the kill campaign: folders were swept only before a first kernel, so no-op
    # builds after a killed one kept its folder for good
    from buildutil import build, copy_project

    from sphinx_nbcache.engine import kernels

    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(kernels, "_swept", set())  # a new build process
    orphan = scratch / "nbcache-999999999-orphan1"  # no such pid
    orphan.mkdir()
    (orphan / "k1.json").write_text("{}")
    os.utime(orphan, (time.time() - 3600, time.time() - 3600))
    build(make_app, project.src, confoverrides={"nbcache_execution_mode": "off"})
    assert project.executed() == []
    assert not orphan.exists()


def test_a_build_after_one_killed_while_writing_buildinfo_succeeds(
    make_app, rootdir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # found by the kill campaign: a kill while Sphinx writes its output can leave
    # `.buildinfo` empty, and Sphinx 9.0 then stops every later build (IndexError)
    from buildutil import build, copy_project

    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    build(make_app, project.src)
    (project.html / ".buildinfo").write_text("")
    build(make_app, project.src)
    # Sphinx 9 writes it again; 7.3 may leave it out (then its next build writes all pages)
    info = project.html / ".buildinfo"
    assert not info.exists() or info.read_text().startswith("# Sphinx build info")
    assert "alpha says 42" in project.text("alpha")

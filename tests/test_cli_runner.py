"""``nbcache execute`` runs notebooks through the build's pipeline (issue 10).

So it takes the same per-notebook locks as a build, records the same dependencies and
remembers failures for the build; a notebook it executed is a cache hit for a build.
Executions are counted by the kernels themselves (each notebook appends its name to a file).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from buildutil import build, counted_notebook, executed_since, warnings

from sphinx_nbcache.engine import NotebookCache, key_inputs, read_notebook

NBCACHE = str(Path(sys.executable).with_name("nbcache"))


class Project:
    def __init__(self, root: Path) -> None:
        self.src = root / "src"
        self.log = root / "executed.log"
        self.cache = self.src / ".nbcache"

    def executed(self) -> list[str]:
        return executed_since(self.log)

    def notebook(self, name: str, *cells: str) -> Path:
        return counted_notebook(self.src, name, *cells)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    project = Project(tmp_path)
    project.src.mkdir()
    (project.src / "conf.py").write_text(
        'extensions = ["sphinx_nbcache"]\n'
        'exclude_patterns = ["_build"]\n'
        'nbcache_execution_mode = "cache"\n'
    )
    project.log.write_text("")
    # the kernels inherit it, from the build and from the command line alike
    monkeypatch.setenv("NBCACHE_TEST_LOG", str(project.log))
    return project


def _index(project: Project, *names: str) -> None:
    toc = "\n".join(f"   {n}" for n in names)
    (project.src / "index.rst").write_text(f"Index\n=====\n\n.. toctree::\n\n{toc}\n")


def test_a_notebook_the_command_line_executed_is_a_cache_hit_for_the_build(
    project: Project, nbcache, make_app
) -> None:
    project.notebook("one", "print('one says', 6 * 7)")
    _index(project, "one")
    assert nbcache("-p", project.cache, "stage", "add", project.src / "one.ipynb").exit_code == 0
    ran = nbcache("-p", project.cache, "execute")
    assert ran.exit_code == 0, ran.stdout
    assert project.executed() == ["one"]
    app = build(make_app, project.src)
    assert project.executed() == []
    assert warnings(app) == []
    assert "one says 42" in (project.src / "_build/html/one.html").read_text()


def test_the_command_line_records_what_a_run_read(project: Project, nbcache, make_app) -> None:
    (project.src / "data.txt").write_text("41")
    project.notebook("reads", "print('read', int(open('data.txt').read()) + 1)")
    _index(project, "reads")
    nbcache("-p", project.cache, "stage", "add", project.src / "reads.ipynb")
    assert nbcache("-p", project.cache, "execute").exit_code == 0
    cache = NotebookCache(project.cache)
    try:
        (record,) = cache.list_records()
        assert "data.txt" in record.dependencies["files"]
    finally:
        cache.close()
    assert project.executed() == ["reads"]
    # so the build knows that the record no longer holds once the data changed
    (project.src / "data.txt").write_text("99")
    build(make_app, project.src)
    assert project.executed() == ["reads"]
    assert "read 100" in (project.src / "_build/html/reads.html").read_text()


def test_a_failure_of_the_command_line_is_remembered_by_the_build(
    project: Project, nbcache, make_app
) -> None:
    path = project.notebook("bad", "raise ValueError('no good')")
    _index(project, "bad")
    nbcache("-p", project.cache, "stage", "add", path)
    ran = nbcache("-p", project.cache, "execute")
    assert ran.exit_code == 1 and "ValueError" in ran.stdout
    assert project.executed() == ["bad"]
    cache = NotebookCache(project.cache)
    try:
        failure = cache.lookup_failure(key_inputs(read_notebook(path)).key())
        assert failure is not None and "no good" in failure.error
    finally:
        cache.close()
    app = build(make_app, project.src)
    # same inputs, same settings: the build shows the failure without running it again
    assert project.executed() == []
    (found,) = [w for w in warnings(app) if "notebook execution failed" in w]
    assert "remembered" in found and "no good" in found


def test_the_command_line_waits_for_a_notebook_another_process_is_executing(
    project: Project, nbcache
) -> None:
    path = project.notebook("held", "print('held')")
    nbcache("-p", project.cache, "stage", "add", path)
    cache = NotebookCache(project.cache)
    lock = cache.execution_lock(cache.uri_for(path))
    lock.acquire()
    proc = subprocess.Popen(
        [NBCACHE, "-p", str(project.cache), "execute"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        while "Executing" in line or not line.strip():
            line = proc.stdout.readline()
        assert "Another process is executing 1 of these notebooks" in line
        # this process is the other one: it stores a result, then lets the lock go
        nb = read_notebook(path)
        cache.add_notebook(nb, cache.uri_for(path), inputs=key_inputs(nb), validate=False)
        lock.release()
        out, _ = proc.communicate(timeout=60)
    finally:
        if lock.is_locked:
            lock.release()
        proc.kill()
        cache.close()
    assert proc.returncode == 0, out
    assert "held.ipynb: cached (executed by another process meanwhile)" in out
    assert project.executed() == []


def test_the_command_line_racing_a_build_executes_each_notebook_once(
    project: Project, nbcache
) -> None:
    names = [f"nb{i}" for i in range(4)]
    for name in names:
        project.notebook(name, "import time; time.sleep(0.5)", f"print('{name} done')")
    _index(project, *names)
    nbcache("-p", project.cache, "stage", "add", *(project.src / f"{n}.ipynb" for n in names))
    env = {**os.environ, "NBCACHE_TEST_LOG": str(project.log)}
    build_cmd = [str(Path(sys.executable).with_name("sphinx-build")), "-q", "-b", "html"]
    procs = [
        subprocess.Popen(
            [*build_cmd, str(project.src), str(project.src / "_build/html")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
        subprocess.Popen(
            [NBCACHE, "-p", str(project.cache), "execute", "-j", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
    ]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    # every notebook ran exactly once, in one of the two processes
    assert project.executed() == names, outs
    for name in names:
        assert f"{name} done" in (project.src / f"_build/html/{name}.html").read_text()

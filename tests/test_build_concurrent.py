"""Builds sharing one cache at the same time: both succeed, the store stays whole, and a
notebook stale in both executes once."""

from __future__ import annotations

import subprocess
import sys

from buildutil import copy_project

from sphinx_nbcache.engine import NotebookCache


def start_builds(project, tmp_path, *options: str) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sphinx",
                "-q",
                "-b",
                "html",
                *options,
                "-d",
                str(tmp_path / f"doctrees{n}"),
                str(project.src),
                str(tmp_path / f"html{n}"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]


def finish(procs: list[subprocess.Popen], clean: bool = True) -> list[str]:
    """Wait for the builds; return what each printed on stderr."""
    errs = []
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        if clean:
            assert "WARNING" not in err and "ERROR" not in err, err
        errs.append(err)
    return errs


def test_concurrent_builds_execute_each_notebook_once(rootdir, tmp_path, monkeypatch):
    # two builds of one project on a cold cache at the same time (html and latex in CI, say)
    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    finish(start_builds(project, tmp_path))
    assert project.executed() == ["alpha", "beta", "gamma"]  # not twice each
    for n in (1, 2):
        assert "alpha says 42" in project.text("alpha", tmp_path / f"html{n}")
        assert "beta says 1024" in project.text("beta", tmp_path / f"html{n}")
    # each notebook executed in one build; the other took its result from the cache
    reports = [project.report(tmp_path / f"html{n}") for n in (1, 2)]
    for docname in ("alpha", "beta", "gamma"):
        assert sorted(r[docname]["status"] for r in reports) == ["cached", "executed"]


def test_concurrent_builds_execute_a_failing_notebook_once(rootdir, tmp_path, monkeypatch):
    project = copy_project(rootdir, "build-failing", tmp_path, monkeypatch)
    errs = finish(start_builds(project, tmp_path), clean=False)
    assert project.executed() == ["allowed", "broken", "good"]
    for err in errs:  # both builds report the failure, located at the failing cell
        assert "broken.ipynb:4: WARNING: notebook execution failed" in err
        assert "ZeroDivisionError" in err
    reports = [project.report(tmp_path / f"html{n}") for n in (1, 2)]
    assert [r["broken"]["status"] for r in reports] == ["failed", "failed"]


def test_concurrent_builds_share_the_cache(rootdir, tmp_path, monkeypatch):
    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    # force mode: every build executes and replaces every record, the worst case for readers
    # of the other build; two rounds so that executions and reads overlap
    for _round in range(2):
        finish(start_builds(project, tmp_path, "-D", "nbcache_execution_mode=force"))
    for n in (1, 2):
        assert "alpha says 42" in project.text("alpha", tmp_path / f"html{n}")
        assert "beta says 1024" in project.text("beta", tmp_path / f"html{n}")
    assert len(project.executed()) == 12  # 3 notebooks x 2 builds x 2 rounds
    cache = NotebookCache(project.src / ".nbcache")
    records = cache.list_records()
    assert sorted(r.uri for r in records) == ["alpha.ipynb", "beta.md", "gamma.pct.py"]
    folders = {p.name for p in (cache.path / "records").iterdir()}
    assert folders == {r.folder for r in records}  # no orphan, no dangling row

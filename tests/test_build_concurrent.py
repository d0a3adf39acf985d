"""Two builds sharing one cache at the same time: both succeed, the store stays whole."""

from __future__ import annotations

import subprocess
import sys

from buildutil import copy_project

from sphinx_nbcache.engine import NotebookCache


def test_concurrent_builds_share_the_cache(rootdir, tmp_path, monkeypatch):
    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    # force mode: every build executes and replaces every record, the worst case for readers
    # of the other build; two rounds so that executions and reads overlap
    for _round in range(2):
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "sphinx",
                    "-q",
                    "-b",
                    "html",
                    "-D",
                    "nbcache_execution_mode=force",
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
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            assert "WARNING" not in err and "ERROR" not in err, err
    for n in (1, 2):
        assert "alpha says 42" in project.text("alpha", tmp_path / f"html{n}")
        assert "beta says 1024" in project.text("beta", tmp_path / f"html{n}")
    assert len(project.executed()) == 12  # 3 notebooks x 2 builds x 2 rounds
    cache = NotebookCache(project.src / ".nbcache")
    records = cache.list_records()
    assert sorted(r.uri for r in records) == ["alpha.ipynb", "beta.md", "gamma.pct.py"]
    folders = {p.name for p in (cache.path / "records").iterdir()}
    assert folders == {r.folder for r in records}  # no orphan, no dangling row

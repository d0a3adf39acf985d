"""A read-only cache is called read-only, never damaged (``nbcache clear`` would wipe it).

Root ignores file permissions, so the cache sits on a tmpfs remounted read-only; the test is
skipped where mounting is not allowed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from nbformat import v4

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.errors import CacheDatabaseError


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[Path]:
    point = tmp_path / "mnt"
    point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(point)], check=False).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)


def test_a_read_only_cache_serves_and_stores_nothing(mount: Path, nbcache) -> None:
    cache = NotebookCache(mount / ".nbcache")
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells.append(v4.new_code_cell("1", execution_count=1))
    entry = cache.add_notebook(nb, "a.ipynb", validate=False)
    cache.close()
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)

    cache = NotebookCache(mount / ".nbcache")
    try:
        # what it holds is served, without marking it accessed
        assert cache.read_only
        assert [r.id for r in cache.list_records()] == [entry.id]
        served = cache.match(entry.hashkey)
        assert served is not None and served.accessed == entry.accessed
        assert cache.load_notebook(served).cells[0].source == "1"
        cache.touch([entry.id])
        listed = nbcache("-p", mount / ".nbcache", "cache", "list")
        assert listed.exit_code == 0 and "a.ipynb" in listed.stdout
        # what it cannot store is said read-only, never damaged
        nb.cells[0].source = "2"
        with pytest.raises(CacheDatabaseError) as info:
            cache.add_notebook(nb, "b.ipynb", validate=False)
        message = str(info.value)
        assert "the cache is read-only" in message
        assert "damaged" not in message and "nbcache clear" not in message
        # nor is it wiped by `nbcache clear`
        with pytest.raises(CacheDatabaseError, match="the cache is read-only"):
            cache.clear()
        assert [r.id for r in cache.list_records()] == [entry.id]
    finally:
        cache.close()


def test_a_build_is_served_from_a_read_only_cache(
    mount: Path, make_app, rootdir, tmp_path, monkeypatch
) -> None:
    from buildutil import build, copy_project, warnings

    from sphinx_nbcache.sphinxext.state import close_stores

    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    overrides = {"nbcache_path": str(mount / ".nbcache")}
    build(make_app, project.src, confoverrides=overrides)
    executed = project.executed()
    assert "alpha" in executed
    close_stores()
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    try:
        shutil.rmtree(project.src / "_build")
        app = build(make_app, project.src, confoverrides=overrides)
        assert warnings(app) == []
        assert project.executed() == []
        assert "alpha says 42" in project.text("alpha")
    finally:
        close_stores()


def test_a_stale_notebook_on_a_read_only_cache_runs_shows_and_warns_once(
    mount: Path, make_app, rootdir, tmp_path, monkeypatch
) -> None:
    from buildutil import build, copy_project, warnings, write_later

    from sphinx_nbcache.sphinxext.state import close_stores

    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    overrides = {"nbcache_path": str(mount / ".nbcache")}
    build(make_app, project.src, confoverrides=overrides)
    project.executed()
    close_stores()
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    try:
        for name, old, new in [
            ("alpha.ipynb", "6 * 7", "6 * 8"),
            ("gamma.pct.py", "sum(range(5))", "sum(range(6))"),
        ]:
            path = project.src / name
            write_later(path, path.read_text().replace(old, new))
        app = build(make_app, project.src, confoverrides=overrides)
        # both ran, their pages show this run's outputs, and one warning says why they were
        # not kept and what to do; beta was served from the cache
        assert project.executed() == ["alpha", "gamma"]
        assert "alpha says 48" in project.text("alpha")
        assert "gamma says 15" in project.text("gamma")
        found = warnings(app)
        assert len(found) == 1, found
        assert "is read-only: 2 notebooks executed but not stored" in found[0]
        assert "make the cache writable" in found[0]
        report = project.report()
        assert report["alpha"]["status"] == report["gamma"]["status"] == "executed"
        assert report["beta"]["status"] == "cached"
    finally:
        close_stores()

"""The store, the command line and the configuration, under hostile but realistic use.

Files written get the permissions the umask gives; `-D` strings are converted as Sphinx converts
its own values; a missing or wrong cache folder, an empty database and a `.nbcache` file are
one-line errors naming the path; temporary and orphan folders do not pile up.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from buildutil import build, copy_project, warnings
from nbformat import v4

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.files import atomic_write_bytes


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tiny_nb():
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells.append(v4.new_code_cell("1", execution_count=1))
    return nb


# -- a. permissions --------------------------------------------------------------------------
def test_atomic_writes_apply_the_umask(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "out" / "page.json"
    atomic_write_bytes(target, b"{}")
    assert mode(target) == 0o644
    os.umask(0o027)
    atomic_write_bytes(target, b"{}")
    assert mode(target) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["page.json"]


def test_restored_artefacts_and_report_are_readable(
    make_app, rootdir, tmp_path, monkeypatch, umask_022: None
) -> None:
    project = copy_project(rootdir, "reliability-artefacts", tmp_path, monkeypatch)
    build(make_app, project.src)
    assert project.executed() == ["writer"]
    (record,) = NotebookCache(project.src / ".nbcache").list_records()
    for rel in record.artefacts:
        (project.src / rel).unlink()
    shutil.rmtree(project.src / "_build")
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == []
    for rel in record.artefacts:
        assert mode(project.src / rel) == 0o644, rel
    assert mode(project.html / "nbcache-report.json") == 0o644


# -- b. `sphinx-build -D` --------------------------------------------------------------------
def test_dash_d_strings_are_converted(make_app, rootdir, tmp_path, monkeypatch) -> None:
    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    # exactly what `sphinx-build -D name=value` hands over: strings
    overrides = {
        "nbcache_jobs": "4",
        "nbcache_timeout": "2.5",
        "nbcache_notebook_timeout": "none",
        "nbcache_allow_errors": "1",
        "nbcache_merge_streams": "false",
        "nbcache_prolog": "none",  # a string value stays the string it is
    }
    app = make_app("html", srcdir=project.src, confoverrides=overrides)
    try:
        assert app.config.nbcache_jobs == 4
        assert app.config.nbcache_timeout == 2.5
        assert app.config.nbcache_notebook_timeout is None
        assert app.config.nbcache_allow_errors is True
        assert app.config.nbcache_merge_streams is False
        assert app.config.nbcache_prolog == "none"
        assert warnings(app) == []  # no "invalid number '2.5' ..., ignoring" from Sphinx
    finally:
        app.cleanup()


def test_dash_d_strings_that_do_not_convert_are_refused(
    make_app, rootdir, tmp_path, monkeypatch
) -> None:
    from sphinx.errors import ConfigError

    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    with pytest.raises(ConfigError):
        make_app("html", srcdir=project.src, confoverrides={"nbcache_jobs": "four"})

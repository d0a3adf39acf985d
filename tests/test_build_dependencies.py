"""A notebook re-executes when a module it imports or a file it reads changes content."""

from __future__ import annotations

import os
import time

import pytest
from buildutil import build, copy_project, warnings, write_later

from sphinx_nbcache.engine import NotebookCache

ALL = ["declared", "helper_user", "independent", "reads_numpy", "reads_open", "reads_pandas"]


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "build-deps", tmp_path, monkeypatch)


def _records(project):
    cache = NotebookCache(project.src / ".nbcache")
    try:
        return {r.uri: r for r in cache.list_records()}
    finally:
        cache.close()


def test_recorded_dependencies_drive_reexecution(make_app, project):
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ALL
    records = _records(project)
    # what each run read or imported from the project is on its record, with a content hash
    assert set(records["helper_user.ipynb"].dependencies["files"]) == {"helpers.py"}
    assert set(records["reads_open.ipynb"].dependencies["files"]) == {"open.csv"}
    assert set(records["reads_pandas.ipynb"].dependencies["files"]) == {"pandas.csv"}
    assert set(records["reads_numpy.ipynb"].dependencies["files"]) == {"numpy.txt"}
    # numpy comes from site-packages: a distribution with a version, not a tracked file
    independent = records["independent.ipynb"].dependencies
    assert independent["files"] == {}
    assert "numpy" in independent["packages"]
    assert "hello from helpers v1" in project.text("helper_user")

    # a file nobody read: nothing happens
    write_later(project.src / "unrelated.txt", "changed")
    build(make_app, project.src)
    assert project.executed() == []

    # the helper module: exactly its importer executes, and shows the new output
    write_later(project.src / "helpers.py", 'def greet():\n    return "hello from helpers v2"\n')
    build(make_app, project.src)
    assert project.executed() == ["helper_user"]
    assert "hello from helpers v2" in project.text("helper_user")
    assert project.report()["helper_user"]["reason"] == "`helpers.py` changed"

    # data read with open, pandas.read_csv and numpy.loadtxt
    write_later(project.src / "open.csv", "a,b\n1,99\n")
    write_later(project.src / "pandas.csv", "a,b\n30,40\n")
    write_later(project.src / "numpy.txt", "50 60\n70 80\n")
    build(make_app, project.src)
    assert project.executed() == ["reads_numpy", "reads_open", "reads_pandas"]
    assert "open saw 1,99" in project.text("reads_open")
    assert "pandas saw 70" in project.text("reads_pandas")
    assert "numpy saw 260.0" in project.text("reads_numpy")

    # touch on everything (new mtimes, same content): nothing executes
    later = time.time() + 5
    for path in project.src.rglob("*"):
        if path.is_file() and "_build" not in path.parts and ".nbcache" not in path.parts:
            os.utime(path, (later, later))
    build(make_app, project.src)
    assert project.executed() == []

    # a file changed and changed back (a branch switch and back): nothing executes
    original = (project.src / "helpers.py").read_text()
    write_later(project.src / "helpers.py", "def greet():\n    return 'other branch'\n")
    write_later(project.src / "helpers.py", original)
    build(make_app, project.src)
    assert project.executed() == []


def test_declared_dependencies_and_env_vars(make_app, project, monkeypatch):
    monkeypatch.setenv("NBCACHE_TEST_SETTING", "one")
    overrides = {"nbcache_env_vars": ["NBCACHE_TEST_SETTING"]}
    build(make_app, project.src, confoverrides=overrides)
    assert project.executed() == ALL

    # declared in notebook metadata, relative to the notebook
    write_later(project.src / "declared.txt", "declared v2")
    build(make_app, project.src, confoverrides=overrides)
    assert project.executed() == ["declared"]
    assert project.report()["declared"]["reason"] == "declared dependency `declared.txt` changed"

    # declared in conf.py with a glob
    write_later(project.src / "settings" / "main.toml", "level = 2")
    build(make_app, project.src, confoverrides=overrides)
    assert project.executed() == ["declared"]

    # an environment variable named in nbcache_env_vars is part of every key
    monkeypatch.setenv("NBCACHE_TEST_SETTING", "two")
    build(make_app, project.src, confoverrides=overrides)
    assert project.executed() == ALL
    reason = project.report()["independent"]["reason"]
    assert reason == "environment variable NBCACHE_TEST_SETTING changed"


def test_lock_files_are_part_of_every_key(make_app, rootdir, tmp_path, monkeypatch):
    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    lock = project.src / "requirements.txt"
    lock.write_text("numpy==2.4.6\n")
    overrides = {"nbcache_env_fingerprint": ["requirements.txt"]}
    build(make_app, project.src, confoverrides=overrides)
    assert project.executed() == ["alpha", "beta", "gamma"]

    write_later(lock, "numpy==2.4.6\n")  # same content, new mtime
    build(make_app, project.src, confoverrides=overrides)
    assert project.executed() == []

    write_later(lock, "numpy==2.4.7\n")
    build(make_app, project.src, confoverrides=overrides)
    assert project.executed() == ["alpha", "beta", "gamma"]
    assert project.report()["beta"]["reason"] == "lock file `requirements.txt` changed"

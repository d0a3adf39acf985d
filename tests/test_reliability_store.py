"""The store, the command line and the configuration, under hostile but realistic use.

Files written get the permissions the umask gives; `-D` strings are converted as Sphinx converts
its own values; a missing or wrong cache folder, an empty database and a `.nbcache` file are
one-line errors naming the path; temporary and orphan folders do not pile up.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from buildutil import as_fresh_clone, build, copy_project, warnings
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


def tiny_nb(source: str = "1"):
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells.append(v4.new_code_cell(source, execution_count=1))
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
    as_fresh_clone(project, record.artefacts)
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


# -- c. the command line on a missing or wrong cache folder --------------------------------
def test_a_missing_cache_folder_given_with_p_is_an_error(nb_project: Path, nbcache) -> None:
    from test_cli_errors import assert_error

    missing = nb_project / "typo"
    for args in (["-p", missing, "cache", "list"], ["cache", "list", "-p", missing]):
        assert_error(nbcache(*args), str(missing), "does not exist")
    assert_error(nbcache("cache", "list", env={"NBCACHE_PATH": str(missing)}), str(missing))
    assert not missing.exists()
    # an existing folder without a cache yet is an empty cache; so is the default folder
    (nb_project / "empty").mkdir()
    result = nbcache("-p", nb_project / "empty", "cache", "list")
    assert result.exit_code == 0 and result.stdout.strip() == "No cached notebooks"
    assert nbcache("cache", "list").stdout.strip() == "No cached notebooks"


# -- d. an empty database, a file where the folder should be -------------------------------
def test_a_cache_path_that_is_a_file_is_a_clear_error(nb_project: Path, nbcache) -> None:
    from test_cli_errors import assert_error

    from sphinx_nbcache.engine.errors import CacheDatabaseError

    (nb_project / ".nbcache").write_text("not a folder")
    with pytest.raises(CacheDatabaseError, match=r"\.nbcache: is a file, not a cache folder"):
        NotebookCache(nb_project / ".nbcache").add_notebook(tiny_nb(), "a.ipynb")
    assert_error(nbcache("cache", "list"), ".nbcache", "is a file")
    assert_error(nbcache("cache", "add", "notebooks/basic.ipynb"), ".nbcache", "is a file")
    assert (nb_project / ".nbcache").read_text() == "not a folder"


def test_an_empty_database_is_not_taken_for_a_new_one(tmp_path: Path, nbcache) -> None:
    from sphinx_nbcache.engine.errors import CacheDatabaseError

    path = tmp_path / ".nbcache"
    cache = NotebookCache(path)
    cache.add_notebook(tiny_nb(), "a.ipynb")
    cache.close()
    db = path / "nbcache.db"
    db.write_bytes(b"")  # truncated: a full disk, a copy cut short
    old = db.stat().st_mtime - 3600
    os.utime(db, (old, old))
    with pytest.raises(CacheDatabaseError) as info:
        NotebookCache(path).list_records()
    message = str(info.value)
    assert str(db) in message and "empty" in message and "nbcache clear" in message
    assert "\n" not in message
    assert db.stat().st_size == 0  # nothing was written into it
    # the way out: clear starts afresh
    NotebookCache(path).clear()
    assert NotebookCache(path).list_records() == []


def test_a_database_being_created_is_not_refused(tmp_path: Path) -> None:
    # another process has just opened (created) the file and not yet written the schema
    path = tmp_path / ".nbcache"
    path.mkdir()
    (path / "nbcache.db").write_bytes(b"")
    assert NotebookCache(path).list_records() == []


# -- e. temporary and orphan folders -----------------------------------------------------------
def age(path: Path, seconds: float = 3600) -> None:
    when = path.stat().st_mtime - seconds
    for p in [path, *path.rglob("*")]:
        os.utime(p, (when, when), follow_symlinks=False)


def test_stale_temporary_and_orphan_folders_are_removed(tmp_path: Path) -> None:
    path = tmp_path / ".nbcache"
    cache = NotebookCache(path)
    kept = cache.add_notebook(tiny_nb(), "kept.ipynb")
    records = path / "records"
    # a writer killed while copying: a big temporary folder
    stale_tmp = records / (".tmp-" + "a" * 32)
    (stale_tmp / "artefacts").mkdir(parents=True)
    (stale_tmp / "artefacts" / "big.bin").write_bytes(b"0" * 1000)
    age(stale_tmp)
    # a live writer's folder: young, never touched
    live_tmp = records / (".tmp-" + "b" * 32)
    live_tmp.mkdir()
    # a record folder of a database since recreated; and a folder that is not ours
    orphan = records / ("c" * 32)
    orphan.mkdir()
    (orphan / "notebook.ipynb").write_text("{}")
    age(orphan)
    foreign = records / "keep-me"
    foreign.mkdir()
    age(foreign)
    age(records / kept.folder)
    cache.close()

    # the next process to write sweeps, once
    cache = NotebookCache(path)
    cache.add_notebook(tiny_nb("2"), "new.ipynb")
    assert not stale_tmp.exists() and not orphan.exists()
    assert live_tmp.is_dir() and foreign.is_dir()
    assert (records / kept.folder / "notebook.ipynb").is_file()
    assert cache.load_notebook(kept.id).cells[0].source == "1"


def test_clear_removes_orphan_folders(tmp_path: Path) -> None:
    path = tmp_path / ".nbcache"
    cache = NotebookCache(path)
    entry = cache.add_notebook(tiny_nb(), "a.ipynb")
    cache.close()
    # the database is deleted by hand and recreated: its folders are orphans
    (path / "nbcache.db").unlink()
    age(path / "records" / entry.folder)
    cache = NotebookCache(path)
    assert cache.list_records() == []
    cache.clear()
    assert list((path / "records").iterdir()) == []


#: a writer killed (SIGKILL, for real) at a chosen point of its write: before the rename of its
#: temporary folder, or after it and before its row is committed
_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from nbformat import v4
    from sphinx_nbcache.engine import NotebookCache

    path, when = sys.argv[1], sys.argv[2]
    real_replace = os.replace

    def killed(src, dst):
        if when == "renamed":
            real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGKILL)

    os.replace = killed
    nb = v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "P"}})
    nb.cells.append(v4.new_code_cell("1", execution_count=1))
    art = os.path.join(path, "..", "big.bin")
    with open(art, "wb") as handle:
        handle.write(b"0" * 100_000)
    NotebookCache(path).add_notebook(nb, when + ".ipynb", artefacts={"big.bin": art})
    """
)


def test_what_a_killed_writer_leaves_is_removed_by_a_later_read(tmp_path: Path) -> None:
    # a killed build leaves a young folder; the next build re-executes and writes (too soon to
    # sweep it), and every build after is a no-op that writes nothing: it must go all the same
    path = tmp_path / ".nbcache"
    cache = NotebookCache(path)
    kept = cache.add_notebook(tiny_nb(), "kept.ipynb")
    cache.close()
    records = path / "records"

    def killed_writer(when: str) -> Path:
        run = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(path), when])
        assert run.returncode == -signal.SIGKILL
        (left,) = [p for p in records.iterdir() if p.name != kept.folder]
        assert (left / "artefacts" / "big.bin").is_file()
        return left

    # killed while copying: its temporary folder names its writer, now dead, so the next
    # use of the cache, a read, removes it at once (issue 14's campaign)
    tmp = killed_writer("copied")
    assert tmp.name.startswith(".tmp-")
    with NotebookCache(path) as cache:
        assert cache.list_records() == [kept]  # the killed write was never committed
    assert not tmp.exists()
    # killed after the rename: a folder no row references, young: a live writer's, for
    # all we know, until it is old
    placed = killed_writer("renamed")
    assert not placed.name.startswith(".tmp-")
    with NotebookCache(path) as cache:
        assert cache.list_records() == [kept]
    assert placed.is_dir()
    age(placed)
    age(records / kept.folder)

    with NotebookCache(path) as cache:  # reads only, as a no-op build or `cache list` does
        assert cache.lookup(kept.hashkey) == kept
    assert sorted(records.iterdir()) == [records / kept.folder]

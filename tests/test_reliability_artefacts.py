"""Files a notebook writes other than through Python's open() are artefacts too.

A subprocess, ``os.replace`` and SQLite write files the in-kernel probe never sees; the
folder is compared before and after each run, and runs side by side in one folder are told
apart (or, where they cannot be, a warning says so).
"""

from __future__ import annotations

from pathlib import Path

from buildutil import as_fresh_clone, build, copy_project, warnings
from test_engine_execute import make_nb

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.executor import execute_notebook
from sphinx_nbcache.engine.scheduler import Job, execute_many
from sphinx_nbcache.engine.watch import FolderWatch

WRITE_OTHERWISE = (
    "import os, sqlite3, subprocess\n"
    "subprocess.run('mkdir -p gen && echo hi > gen/shell.txt', shell=True, check=True)\n"
    "open('.tmp-moved', 'w').write('moved')\n"
    "os.replace('.tmp-moved', 'moved.txt')\n"
    "con = sqlite3.connect('data.db')\n"
    "con.execute('create table t (x)'); con.commit(); con.close()\n"
    # not artefacts: hidden and build folders, and a document of the project
    "subprocess.run('mkdir -p .hidden _build && touch .hidden/h _build/b other.ipynb',"
    " shell=True, check=True)"
)


def test_subprocess_replace_and_sqlite_files_are_artefacts(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    result = execute_notebook(make_nb(WRITE_OTHERWISE), folder, source_suffixes=[".ipynb"])
    assert result.ok, result.error
    assert sorted(result.artefacts) == ["data.db", "gen/shell.txt", "moved.txt"]
    assert result.warnings == []


def test_a_folder_too_large_to_compare_is_said(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(5):
        (folder / f"data-{n}.csv").write_text("1\n")
    watch = FolderWatch(folder, limit=3)
    result = execute_notebook(make_nb(WRITE_OTHERWISE), folder, watch=watch)
    # what Python's open() wrote is still known; the rest is not looked for, and said so
    assert sorted(result.artefacts) == ["moved.txt"]
    (warning,) = result.warnings
    assert f"the folder {folder} holds more than 3 files" in warning
    assert "not those written by subprocesses or C libraries" in warning


def _side_by_side(me: str, other: str, markers: Path, own_write: str) -> str:
    """Both runs start, then each writes, then each waits for the other's file."""
    return (
        "import os, pathlib, subprocess, time\n"
        f"pathlib.Path({str(markers / me)!r}).touch()\n"
        "deadline = time.monotonic() + 120\n"
        f"while not os.path.exists({str(markers / other)!r}) and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        f"{own_write}\n"
        f"subprocess.run('echo {me} > {me}.txt', shell=True, check=True)\n"
        f"while not os.path.exists('{other}.txt') and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)"
    )


def test_runs_side_by_side_in_one_folder_are_told_apart(tmp_path: Path) -> None:
    folder, markers = tmp_path / "docs", tmp_path / "markers"
    folder.mkdir()
    markers.mkdir()
    jobs = [
        Job(nb=make_nb(_side_by_side("a", "b", markers, "pass")), cwd=folder, name="a.ipynb"),
        Job(
            nb=make_nb(_side_by_side("b", "a", markers, "open('b-own.txt', 'w').write('b')")),
            cwd=folder,
            name="b.ipynb",
        ),
    ]
    a, b = execute_many(jobs, max_jobs=2)
    assert a.ok and b.ok, (a.error, b.error)
    # b's own open() is b's alone; the subprocess files could be either's: neither gets them
    assert sorted(a.artefacts) == []
    assert sorted(b.artefacts) == ["b-own.txt"]
    said = sorted(a.warnings + b.warnings)
    assert len(said) == 2, said
    for warning, name in zip(said, ["a.txt", "b.txt"], strict=True):
        assert warning.startswith(
            f"'{name}' changed while several notebooks ran in the same folder "
            "(a.ipynb, b.ipynb) and it cannot be told which wrote it"
        )


def test_a_fresh_clone_gets_them_back(make_app, rootdir, tmp_path, monkeypatch) -> None:
    project = copy_project(rootdir, "reliability-artefacts", tmp_path, monkeypatch)
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["writer"]
    (record,) = NotebookCache(project.src / ".nbcache").list_records()
    assert sorted(record.artefacts) == ["data.db", "gen/shell.txt", "moved.txt"]

    # a fresh clone: the cache came along, the generated files and the build did not
    as_fresh_clone(project, record.artefacts)
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == []
    assert (project.src / "gen/shell.txt").read_text() == "hi\n"
    assert (project.src / "moved.txt").read_text() == "moved"
    links = {a.get_text(): a["href"] for a in project.page("writer").select("a.download")}
    assert set(links) == {"shell", "moved", "db"}
    for href in links.values():
        assert (project.html / href).is_file(), href

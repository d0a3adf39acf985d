"""A bad artefact path in a cache record: a warning at its notebook, never a failed build.

The records are real: built by a real build, then edited in the real SQLite file.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from buildutil import build, copy_project, warnings


def _set_artefacts(cache: Path, uri_end: str, value: str) -> int:
    """Edit the real cache database as a damaged or hostile record would have it."""
    con = sqlite3.connect(cache / "nbcache.db")
    with con:
        (row,) = con.execute(
            "select id from cache_records where uri like ?", (f"%{uri_end}",)
        ).fetchall()
        con.execute(
            "update cache_records set artefacts = ? where uri like ?", (value, f"%{uri_end}")
        )
    con.close()
    return row[0]


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ('["../escape.txt"]', "'../escape.txt' is not restored: it is not a relative path inside"),
        ('["{outside}/escape.txt"]', "escape.txt' is not restored: it is not a relative path"),
        ("[5]", "artefact 5 is not restored: it is not a relative path inside the notebook's"),
        ('["gone.txt"]', "'gone.txt' is not restored: it is not in the record's files"),
    ],
)
def test_a_bad_artefact_path_in_a_record_fails_that_notebook_only(
    make_app, rootdir, tmp_path, monkeypatch, stored, expected
):
    project = copy_project(rootdir, "reliability-badrecord", tmp_path, monkeypatch)
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["other", "writer"]
    outside = tmp_path / "outside"
    outside.mkdir()
    record = _set_artefacts(
        project.src / ".nbcache", "writer.ipynb", stored.format(outside=outside)
    )

    # a fresh clone: artefacts and pages are restored from the cache
    for name in ("out.txt", "other.txt", "_build"):
        shutil.rmtree(project.src / name) if name == "_build" else (project.src / name).unlink()
    app = build(make_app, project.src)
    assert project.executed() == []
    (line,) = warnings(app)
    assert line.startswith(f"{project.src / 'writer.ipynb'}: WARNING: artefact "), line
    assert expected in line and line.endswith("[nbcache.artefact]"), line
    assert (project.src / "other.txt").read_text() == "other"
    assert not (project.src / "out.txt").exists()
    assert f"run `nbcache cache remove {record}` and build again" in line
    assert not (tmp_path / "escape.txt").exists() and list(outside.iterdir()) == []
    assert "writer ran" in project.text("writer")
    assert "other ran" in project.text("other")


def test_an_unnormalised_artefact_path_is_restored_not_fatal(
    make_app, rootdir, tmp_path, monkeypatch
):
    # "./out.txt" once made the whole build fail ("record 1 has no artefact 'out.txt'")
    project = copy_project(rootdir, "reliability-badrecord", tmp_path, monkeypatch)
    build(make_app, project.src)
    assert project.executed() == ["other", "writer"]
    _set_artefacts(project.src / ".nbcache", "writer.ipynb", '["./out.txt"]')
    (project.src / "out.txt").unlink()
    shutil.rmtree(project.src / "_build")
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == []
    assert (project.src / "out.txt").read_text() == "out"
    assert "writer ran" in project.text("writer")


@pytest.mark.parametrize(
    "stored",
    [
        '"out.txt"',  # one path as a JSON string, not a list: once read letter by letter
        "out.txt",  # plain text, not JSON (a record edited by hand or by another tool)
    ],
)
def test_an_artefacts_column_that_is_not_a_list_is_not_split_into_letters(
    make_app, rootdir, tmp_path, monkeypatch, stored
):
    from sphinx_nbcache.engine import NotebookCache

    project = copy_project(rootdir, "reliability-badrecord", tmp_path, monkeypatch)
    build(make_app, project.src)
    assert project.executed() == ["other", "writer"]
    record = _set_artefacts(project.src / ".nbcache", "writer.ipynb", stored)
    assert NotebookCache(project.src / ".nbcache").get(record).artefacts == ("out.txt",)

    (project.src / "out.txt").unlink()
    shutil.rmtree(project.src / "_build")
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == []
    assert (project.src / "out.txt").read_text() == "out"
    assert "writer ran" in project.text("writer")

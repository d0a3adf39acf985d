"""Ill-shaped notebook and cell metadata: one located warning each, the value ignored."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from buildutil import build, copy_project, warnings
from nbformat import v4

from sphinx_nbcache.sphinxext.metadata_checks import inspect_notebook


def _nb(metadata: dict, *cells: dict) -> v4.NotebookNode:
    nb = v4.new_notebook()
    nb.metadata.update(metadata)
    for cell_metadata in cells:
        cell = v4.new_code_cell("1")
        cell.metadata.update(cell_metadata)
        nb.cells.append(cell)
    return nb


def test_notebook_level_shapes_are_checked_and_ignored():
    nb = _nb(
        {
            "nbcache": "oops",
            "mystnb": ["x"],
            "nbsphinx": {"execute": "sometimes", "allow_errors": True},
        }
    )
    checked, problems = inspect_notebook(nb)
    assert problems == [
        "the notebook's 'nbcache' metadata must be a mapping of settings "
        '(e.g. {"execution_mode": "cache"}), not the text \'oops\'; it is ignored',
        "'nbsphinx' metadata 'execute' 'sometimes' is not one of 'never', 'always', 'auto'; "
        "it is ignored",
        "the notebook's 'mystnb' metadata must be a mapping of options, not the list ['x']; "
        "it is ignored",
    ]
    # the rest of the notebook is untouched, and the input too
    assert dict(checked.metadata) == {"nbsphinx": {"allow_errors": True}}
    assert nb.metadata["nbcache"] == "oops"


def test_dependencies_must_be_a_list_of_patterns():
    checked, problems = inspect_notebook(_nb({"nbcache": {"dependencies": "a.csv"}}))
    assert problems == [
        "'nbcache' metadata 'dependencies' must be a list of file patterns (e.g. [\"a.csv\"]), "
        "not the text 'a.csv'; it is ignored"
    ]
    assert checked.metadata["nbcache"] == {}
    checked, problems = inspect_notebook(_nb({"nbcache": {"dependencies": ["a.csv", 3]}}))
    assert checked.metadata["nbcache"]["dependencies"] == ["a.csv"]
    assert problems == [
        "'nbcache' metadata 'dependencies' holds values that are not file patterns (text): 3; "
        "they are ignored"
    ]


def test_unknown_nbcache_key_gets_a_suggestion():
    _, problems = inspect_notebook(_nb({"nbcache": {"alow_errors": True}}))
    assert problems == [
        "unknown key 'alow_errors' in the notebook's 'nbcache' metadata; "
        "did you mean 'allow_errors'?"
    ]


def test_cell_tags_and_metadata():
    nb = _nb(
        {},
        {"tags": ["raise-exception", "remove_inpt", "remove_input", "my-own-tag", 3]},
        {"tags": "hide-input", "mystnb": 1, "nbsphinx": "shown"},
        {"tags": {"a": 1}},
    )
    checked, problems = inspect_notebook(nb)
    assert problems == [
        "cell 1: tags that are not text are ignored: 3",
        "cell 1: unknown tag 'raise-exception'; did you mean 'raises-exception'? "
        "(it has no effect)",
        "cell 1: unknown tag 'remove_inpt'; did you mean 'remove-input'? (it has no effect)",
        "cell 2: 'tags' must be a list of text, not the text 'hide-input'; "
        'read as ["hide-input"]',
        "cell 2: 'mystnb' metadata must be a mapping of options, not the number 1; it is ignored",
        "cell 2: 'nbsphinx' metadata 'shown' means nothing; the only value is 'hidden'; "
        "it is ignored",
        "cell 3: 'tags' must be a list of text, not the mapping {'a': 1}; it is ignored",
    ]
    tags = [cell.metadata.get("tags") for cell in checked.cells]
    assert tags == [
        ["raise-exception", "remove_inpt", "remove_input", "my-own-tag"],
        ["hide-input"],
        None,
    ]
    assert inspect_notebook(_nb({}, {"tags": ["raises-exception", "hide-cell"]}))[1] == []


def test_bad_metadata_warns_once_and_spoils_nothing(make_app, rootdir, tmp_path, monkeypatch):
    project = copy_project(rootdir, "reliability-metadata", tmp_path, monkeypatch)
    app = build(make_app, project.src, parallel=2)
    assert warnings(app) == [
        f"{project.src / 'letters.ipynb'}: WARNING: 'nbcache' metadata 'dependencies' must be "
        "a list of file patterns (e.g. [\"a.csv\"]), not the text 'a.csv'; it is ignored "
        "[nbcache.config]",
        f"{project.src / 'oops.ipynb'}: WARNING: the notebook's 'nbcache' metadata must be a "
        'mapping of settings (e.g. {"execution_mode": "cache"}), not the text \'oops\'; it is '
        "ignored [nbcache.config]",
        f"{project.src / 'oops.ipynb'}: WARNING: cell 3: unknown tag 'raise-exception'; "
        "did you mean 'raises-exception'? (it has no effect) [nbcache.config]",
        f"{project.src / 'oops.ipynb'}: WARNING: cell 4: 'tags' must be a list of text, "
        "not the number 5; it is ignored [nbcache.config]",
    ]
    assert project.executed() == ["good", "letters", "oops"]
    assert "tagged ran" in project.text("oops")
    assert "five ran" in project.text("oops")
    assert "x,y" in project.text("letters")
    assert "good ran" in project.text("good")
    # read letter by letter, "a.csv" declared the file "a": ignored, it declares nothing
    (project.src / "a").write_text("changed")
    app = build(make_app, project.src)
    assert project.executed() == []


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

"""Ill-shaped notebook and cell metadata: one located warning each, the value ignored."""

from __future__ import annotations

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
    assert nb.cells[1].metadata == {"tags": "hide-input", "mystnb": 1, "nbsphinx": "shown"}
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

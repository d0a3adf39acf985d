"""The cache key: the same code gives the same key in every format; only code changes it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from sphinx_nbcache.engine import key_inputs, notebook_key, read_notebook
from sphinx_nbcache.engine.hashing import explain_change

CELL_A = "import math\nx = math.sqrt(16)"
CELL_B = 'print(x + 1)\nfor i in range(2):\n    print("line", i)'
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def ipynb_42() -> dict:
    """An nbformat 4.2 notebook as Jupyter of 2017 wrote it: no cell ids, sources as lists."""
    return {
        "nbformat": 4,
        "nbformat_minor": 2,
        "metadata": {"kernelspec": KERNELSPEC},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "Some prose."]},
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": [line + "\n" for line in CELL_A.split("\n")[:-1]]
                + [CELL_A.split("\n")[-1]],
            },
            {"cell_type": "markdown", "metadata": {}, "source": "More prose."},
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": CELL_B,
            },
        ],
    }


def nb45() -> nbformat.NotebookNode:
    """The same notebook in nbformat 4.5, with cell ids."""
    nb = v4.new_notebook(metadata={"kernelspec": dict(KERNELSPEC)})
    nb.cells = [
        v4.new_markdown_cell("# Title\nSome prose."),
        v4.new_code_cell(CELL_A),
        v4.new_markdown_cell("More prose."),
        v4.new_code_cell(CELL_B),
    ]
    return nb


def executed(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` as it looks after a run: counts, outputs, language_info, timing metadata."""
    nb = copy.deepcopy(nb)
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            cell.outputs = [v4.new_output("stream", name="stdout", text=f"out {count}\n")]
            cell.metadata["execution"] = {"iopub.status.busy": "2024-01-01T00:00:00Z"}
    return nb


MYST = f"""---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Title
Some prose.

```{{code-cell}} ipython3
{CELL_A}
```

More prose.

```{{code-cell}} ipython3
{CELL_B}
```
"""

PERCENT_BODY = f"""# %% [markdown]
# # Title
# Some prose.

# %%
{CELL_A}

# %% [markdown]
# More prose.

# %%
{CELL_B}
"""

PERCENT_HEADER = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

"""


@pytest.fixture
def reference_key() -> str:
    return notebook_key(nb45())


def key_of(path: Path) -> str:
    return notebook_key(read_notebook(path))


def test_every_format_gives_the_same_key(tmp_path: Path, reference_key: str) -> None:
    files = {
        "v42.ipynb": json.dumps(ipynb_42(), indent=1),
        "v45.ipynb": nbformat.writes(nb45()),
        "executed.ipynb": nbformat.writes(executed(nb45())),
        "myst.md": MYST,
        "plain.pct.py": PERCENT_BODY,
        "header.pct.py": PERCENT_HEADER + PERCENT_BODY,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    # the hand-written 4.2 file really has no ids (nbformat must not have added any)
    assert "id" not in json.loads((tmp_path / "v42.ipynb").read_text())["cells"][0]
    keys = {name: key_of(tmp_path / name) for name in files}
    assert keys == dict.fromkeys(files, reference_key)
    assert len(reference_key) == 64


def test_text_formats_read_their_code_cells(tmp_path: Path) -> None:
    # guard against a vacuous pass: every format must really yield the two code cells
    (tmp_path / "myst.md").write_text(MYST, encoding="utf-8")
    (tmp_path / "p.pct.py").write_text(PERCENT_BODY, encoding="utf-8")
    for name in ("myst.md", "p.pct.py"):
        inputs = key_inputs(read_notebook(tmp_path / name))
        assert (inputs.kernel, inputs.language) == ("python3", "python")
        assert len(inputs.cells) == 2


@pytest.mark.parametrize("name", ["myst.md", "plain.pct.py"])
def test_crlf_and_lf_files_give_the_same_key(tmp_path: Path, name: str) -> None:
    text = MYST if name.endswith(".md") else PERCENT_BODY
    lf, crlf = tmp_path / "lf" / name, tmp_path / "crlf" / name
    lf.parent.mkdir()
    crlf.parent.mkdir()
    lf.write_bytes(text.encode())
    crlf.write_bytes(text.replace("\n", "\r\n").encode())
    assert b"\r\n" in crlf.read_bytes()
    assert key_of(lf) == key_of(crlf)


def test_crlf_inside_ipynb_sources_gives_the_same_key(reference_key: str) -> None:
    nb = nb45()
    for cell in nb.cells:
        cell.source = cell.source.replace("\n", "\r\n")
    assert notebook_key(nb) == reference_key


def edited(edit) -> nbformat.NotebookNode:
    nb = nb45()
    edit(nb)
    return nb


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _tag(tag: str):
    return lambda nb: _code(nb)[0].metadata.setdefault("tags", []).append(tag)


KEEPS_KEY = {
    "markdown edit": lambda nb: setattr(nb.cells[0], "source", "# Another title"),
    "markdown cell inserted": lambda nb: nb.cells.insert(1, v4.new_markdown_cell("new")),
    "raw cell inserted": lambda nb: nb.cells.insert(0, v4.new_raw_cell("raw")),
    "remove-input tag": _tag("remove-input"),
    "hide-output tag": _tag("hide-output"),
    "other cell metadata": lambda nb: _code(nb)[1].metadata.update(
        {"scrolled": True, "collapsed": False, "mystnb": {"number_source_lines": True}}
    ),
    "notebook metadata": lambda nb: nb.metadata.update(
        {"title": "x", "authors": [{"name": "A"}], "language_info": {"name": "python"}}
    ),
    "kernel display name": lambda nb: nb.metadata.kernelspec.update(display_name="Py"),
    "new cell ids": lambda nb: [c.update(id=f"cell-{i}") for i, c in enumerate(nb.cells)],
    "execution counts and outputs": lambda nb: nb.update(executed(nb)),
    "empty code cell": lambda nb: nb.cells.insert(2, v4.new_code_cell("")),
    "blank code cell": lambda nb: nb.cells.append(v4.new_code_cell("  \n\n")),
    "trailing spaces": lambda nb: setattr(_code(nb)[0], "source", CELL_A.replace("\n", "  \n")),
}

CHANGES_KEY = {
    "code edit": lambda nb: setattr(_code(nb)[0], "source", CELL_A + " + 1"),
    "indentation edit": lambda nb: setattr(
        _code(nb)[1], "source", CELL_B.replace("    print", "  print")
    ),
    "code cells swapped": lambda nb: nb.cells.__setitem__(
        slice(None), [nb.cells[0], nb.cells[3], nb.cells[2], nb.cells[1]]
    ),
    "code cell added": lambda nb: nb.cells.append(v4.new_code_cell("y = 2")),
    "code cell removed": lambda nb: nb.cells.pop(3),
    "kernel changed": lambda nb: nb.metadata.kernelspec.update(name="other-kernel"),
    "language changed": lambda nb: nb.metadata.kernelspec.update(language="R"),
    "raises-exception tag": _tag("raises-exception"),
    "skip-execution tag": _tag("skip-execution"),
}


@pytest.mark.parametrize("name", KEEPS_KEY)
def test_edit_keeps_the_key(name: str, reference_key: str) -> None:
    assert notebook_key(edited(KEEPS_KEY[name])) == reference_key


@pytest.mark.parametrize("name", CHANGES_KEY)
def test_edit_changes_the_key(name: str, reference_key: str) -> None:
    assert notebook_key(edited(CHANGES_KEY[name])) != reference_key


def test_all_key_changing_edits_give_distinct_keys(reference_key: str) -> None:
    keys = {notebook_key(edited(edit)) for edit in CHANGES_KEY.values()}
    assert len(keys) == len(CHANGES_KEY)
    assert reference_key not in keys


def test_default_kernel_applies_only_without_kernelspec(reference_key: str) -> None:
    nb = nb45()
    del nb.metadata["kernelspec"]
    assert notebook_key(nb) == reference_key  # default python3, language python
    assert notebook_key(nb, default_kernel="other") != reference_key
    assert notebook_key(nb45(), default_kernel="other") == reference_key


def test_extra_inputs_change_the_key(reference_key: str) -> None:
    nb = nb45()
    assert notebook_key(nb, extra={}) == reference_key
    one = notebook_key(nb, extra={"data.csv": "abc"})
    assert one != reference_key
    assert notebook_key(nb, extra={"data.csv": "abd"}) != one
    assert notebook_key(nb, extra={"data.csv": "abc"}) == one


def stored(nb) -> dict:
    """Key inputs as a cache record keeps them: through JSON, tuples become lists."""
    return json.loads(json.dumps(key_inputs(nb).to_json()))


def test_explain_change_says_which_code_cell_changed() -> None:
    old = stored(nb45())
    nb = nb45()
    _code(nb)[1].source = "print('changed')"
    assert explain_change(old, key_inputs(nb)) == ["code cell 2 changed (cell 4 of the notebook)"]


def test_explain_change_other_reasons() -> None:
    old = stored(nb45())
    assert explain_change(old, key_inputs(nb45())) == []
    assert explain_change(old, key_inputs(edited(KEEPS_KEY["markdown edit"]))) == []
    assert explain_change(old, key_inputs(edited(CHANGES_KEY["kernel changed"]))) == [
        "kernel changed (python3 -> other-kernel)"
    ]
    assert explain_change(old, key_inputs(edited(CHANGES_KEY["code cell added"]))) == [
        "code cells 2 -> 3"
    ]
    assert explain_change(old, key_inputs(edited(CHANGES_KEY["raises-exception tag"]))) == [
        "code cell 1 execution tags changed"
    ]
    declared = key_inputs(nb45(), extra={"declared": {"data.csv": "abc"}})
    assert explain_change(old, declared) == ["declared dependency `data.csv` changed"]
    swapped = explain_change(old, key_inputs(edited(CHANGES_KEY["code cells swapped"])))
    assert swapped == [
        "code cell 1 changed (cell 2 of the notebook)",
        "code cell 2 changed (cell 4 of the notebook)",
    ]

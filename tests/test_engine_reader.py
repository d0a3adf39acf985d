"""Reading notebooks: every unreadable file is a ``NotebookReadError`` that names it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from sphinx_nbcache.engine import NbCacheError, NotebookReadError, read_notebook
from sphinx_nbcache.engine.reader import guess_format, is_text_notebook


def read_error(path: Path, fmt: str = "auto") -> str:
    with pytest.raises(NotebookReadError) as info:
        read_notebook(path, fmt)
    message = str(info.value)
    assert str(path) in message, message
    assert "\n" not in message.strip()
    return message


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{\n "cells": [\n  {"cell_type": "code",}\n ]\n}\n', encoding="utf-8")
    message = read_error(path)
    assert "invalid JSON" in message
    assert "line 3" in message


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in read_error(tmp_path / "missing.ipynb")


def test_folder(tmp_path: Path) -> None:
    folder = tmp_path / "folder.ipynb"
    folder.mkdir()
    assert "folder" in read_error(folder)


@pytest.mark.parametrize("name", ["latin1.ipynb", "latin1.md", "latin1.pct.py"])
def test_not_utf8(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes('{"cells": [], "x": "café"}'.encode("latin-1"))
    assert "UTF-8" in read_error(path)


@pytest.mark.parametrize("text", ['{"a": 1}', "[1, 2]", '"cells"', "42", "null"])
def test_json_that_is_not_a_notebook(tmp_path: Path, text: str) -> None:
    path = tmp_path / "data.ipynb"
    path.write_text(text, encoding="utf-8")
    assert "not a Jupyter notebook" in read_error(path)


def test_notebook_with_malformed_cells(tmp_path: Path) -> None:
    path = tmp_path / "odd.ipynb"
    path.write_text(
        '{"cells": "nope", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', encoding="utf-8"
    )
    assert "not a valid notebook" in read_error(path)


@pytest.mark.parametrize("name", ["notes.xyz", "notes.docx"])
def test_unknown_suffix(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("hello", encoding="utf-8")
    assert "unknown notebook format" in read_error(path)


def test_no_suffix(tmp_path: Path) -> None:
    path = tmp_path / "Makefile"
    path.write_text("all:\n", encoding="utf-8")
    assert "suffix" in read_error(path)


@pytest.mark.parametrize("fmt", ["md:nonsense", "nonsense"])
def test_unknown_explicit_format(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "page.md"
    path.write_text("# Title\n", encoding="utf-8")
    assert "unknown notebook format" in read_error(path, fmt)


def test_read_error_is_an_engine_error_and_pickles(tmp_path: Path) -> None:
    with pytest.raises(NbCacheError) as info:
        read_notebook(tmp_path / "missing.ipynb")
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is NotebookReadError
    assert str(again) == str(info.value)


def test_guess_format() -> None:
    assert guess_format("a/b.ipynb") == "ipynb"
    assert guess_format("a/b.pct.py") == "py:percent"
    assert guess_format("a/B.MyST.md") == "md:myst"
    assert guess_format("b.md") == "md"


def test_markdown_notebook_detection(tmp_path: Path) -> None:
    notebook = tmp_path / "nb.md"
    notebook.write_text("---\nkernelspec:\n  name: python3\n---\n\n# T\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("---\ntitle: x\n---\n\n# T\n", encoding="utf-8")
    assert is_text_notebook(notebook)
    assert not is_text_notebook(page)
    assert not is_text_notebook(tmp_path / "missing.md")


def test_invalid_text_notebook_metadata_is_one_line(tmp_path: Path) -> None:
    # jupytext validates the notebook; jsonschema's message spans many lines
    path = tmp_path / "nb.md"
    path.write_text("---\nkernelspec: python3\n---\n\n```{code-cell}\n1\n```\n", encoding="utf-8")
    message = read_error(path)
    assert "'python3' is not of type 'object'" in message
    assert "front matter" in message  # what to change


# -- what MyST-NB reads is read here too ----------------------------------------------------

MYST_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: {version}
    jupytext_version: {jupytext}
kernelspec:
  name: python3
---
"""


@pytest.mark.parametrize(
    ("version", "jupytext"), [("0.8", "1.2.0"), ("0.13", "1.16.4"), ("0.99", "9.0.0")]
)
def test_myst_notebook_kernelspec_with_only_a_name(
    tmp_path: Path, version: str, jupytext: str
) -> None:
    path = tmp_path / "nb.md"
    path.write_text(
        MYST_HEADER.format(version=version, jupytext=jupytext)
        + "# Title\n\n```{code-cell} ipython3\n:tags: [hide-input]\n:other: yes\nprint(1)\n```\n"
        + '\n+++ {"slideshow": {"slide_type": "slide"}}\n\ntext\n\n'
        + "```{raw-cell}\nraw text\n```\n",
        encoding="utf-8",
    )
    nb = read_notebook(path)
    assert nb.metadata.kernelspec == {"name": "python3", "display_name": "python3"}
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "markdown", "raw"]
    code = nb.cells[1]
    assert code.source == "print(1)"
    assert code.metadata["tags"] == ["hide-input"]
    assert "other" in code.metadata
    assert nb.cells[2].metadata == {"slideshow": {"slide_type": "slide"}}
    assert nb.cells[3].source == "raw text"
    assert nb.nbformat_minor == 5


@pytest.mark.parametrize(
    "front",
    ["file_format: mystnb\nkernelspec:\n  name: python3\n", "kernelspec: {name: python3}\n"],
)
def test_myst_notebook_without_jupytext_block(tmp_path: Path, front: str) -> None:
    path = tmp_path / "nb.md"
    path.write_text(f"---\n{front}---\n```{{code-cell}} python\n1 + 1\n```\n", encoding="utf-8")
    assert is_text_notebook(path)
    nb = read_notebook(path, "md:myst")
    assert nb.metadata.kernelspec["display_name"] == "python3"
    assert [c.source for c in nb.cells] == ["1 + 1"]


def test_code_cell_load_reads_a_file_next_to_the_notebook(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "script.py").write_text("x = 2\nprint(x)\n", encoding="utf-8")
    path = tmp_path / "sub" / "nb.md"
    path.write_text(
        "---\nkernelspec: {name: python3}\n---\n```{code-cell}\n:load: script.py\n```\n",
        encoding="utf-8",
    )
    assert read_notebook(path).cells[0].source == "x = 2\nprint(x)"


def test_code_cell_load_of_a_missing_file_says_which_cell(tmp_path: Path) -> None:
    path = tmp_path / "nb.md"
    path.write_text(
        "---\nkernelspec: {name: python3}\n---\ntext\n\n```{code-cell}\n:load: gone.py\n```\n",
        encoding="utf-8",
    )
    message = read_error(path)
    assert "code cell 2" in message and "gone.py" in message and ":load:" in message


@pytest.mark.parametrize("minor", [0, 1, 2, 3, 4])
def test_old_ipynb_gets_cell_ids(tmp_path: Path, minor: int) -> None:
    import json

    import nbformat

    cell = {"cell_type": "code", "metadata": {}, "source": "1", "outputs": []}
    cell["execution_count"] = None
    data = {
        "nbformat": 4,
        "nbformat_minor": minor,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [cell, {"cell_type": "markdown", "metadata": {}, "source": "x"}],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(data), encoding="utf-8")
    nb = read_notebook(path)
    assert nb.nbformat_minor == 5
    assert [c.id for c in nb.cells] == ["cell-0", "cell-1"]
    nbformat.validate(nb)  # what nbclient and the cache write is valid 4.5
    assert read_notebook(path) == nb  # derived ids: the same on every read


def test_reader_function_with_keyword_arguments(tmp_path: Path) -> None:
    from sphinx_nbcache.engine.reader import reader_format

    path = tmp_path / "script.py"
    path.write_text("# %%\nprint(1)\n", encoding="utf-8")
    fmt = reader_format("jupytext.reads", {"fmt": "py:percent"})
    nb = read_notebook(path, fmt)
    assert [c.source for c in nb.cells] == ["print(1)"]
    assert all(c.id for c in nb.cells)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("reader:no_such_package.read", "cannot be imported"),
        ("reader:json.loads", "not a notebook"),
        ("reader:jupytext.reads:[1]", "not a JSON object"),
    ],
)
def test_reader_function_problems(tmp_path: Path, fmt: str, expected: str) -> None:
    path = tmp_path / "data.txt"
    path.write_text('{"a": 1}', encoding="utf-8")
    assert expected in read_error(path, fmt)


def test_a_notebook_of_nbformat_4_5_without_cell_ids_reads_without_warnings(
    tmp_path: Path,
) -> None:
    # found by the kill campaign's fuzzing: nbformat warned (MissingIDFieldWarning, with no
    # file named) on every read of such a notebook, twice per build
    import json
    import warnings

    from sphinx_nbcache.engine import read_notebook

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
        {
            "cell_type": "code",
            "metadata": {},
            "source": "1",
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "id": "cell-1",
            "metadata": {},
            "source": "2",
            "outputs": [],
            "execution_count": None,
        },
    ]
    nb_json = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    path = tmp_path / "no-ids.ipynb"
    path.write_text(json.dumps(nb_json))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = read_notebook(path)
        second = read_notebook(path)
    ids = [cell["id"] for cell in first.cells]
    assert len(set(ids)) == 3 and ids[2] == "cell-1"
    assert ids == [cell["id"] for cell in second.cells]  # the same on every read

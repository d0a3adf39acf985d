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
    path.write_text(
        "---\nkernelspec:\n  name: python3\n---\n\n```{code-cell}\n1\n```\n", encoding="utf-8"
    )
    message = read_error(path)
    assert "'display_name' is a required property" in message

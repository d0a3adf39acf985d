"""Warnings from MyST Markdown notebooks name the line of the file, as MyST-NB's do."""

from __future__ import annotations

from pathlib import Path

import pytest
from buildutil import warnings_of

from sphinx_nbcache.engine.hashing import key_inputs
from sphinx_nbcache.engine.reader import cell_source_lines, read_notebook, read_notebook_text

ROOT = Path(__file__).parent / "roots" / "test-render-lines"


@pytest.mark.sphinx("html", testroot="render-lines")
def test_markdown_cell_warning_names_the_file_line(app):
    app.build()
    warnings = [w for w in warnings_of(app) if "no-such-label" in w]
    # the 3rd cell begins on line 18; the reference is on line 20 of nb.md
    assert len(warnings) == 1, warnings_of(app)
    assert warnings[0].startswith("SRC/nb.md:20: WARNING:")


def test_cell_source_lines_of_a_myst_notebook():
    text = (ROOT / "nb.md").read_text(encoding="utf-8")
    assert cell_source_lines(text, "md:myst") == [6, 13, 18]
    lines = text.splitlines()
    assert [lines[n - 1] for n in (6, 13, 18)] == ["# Lines", "x = 1", "The third cell."]


def test_ipynb_has_no_source_lines():
    assert cell_source_lines('{"cells": []}', "ipynb") is None


def test_reading_keeps_no_line_in_the_notebook():
    """The lines are a side-table: the notebook read, and so its cache key, stay the same."""
    nb = read_notebook(ROOT / "nb.md")
    text = (ROOT / "nb.md").read_text(encoding="utf-8")
    cell_source_lines(text, "md:myst")
    again = read_notebook_text(text, "md:myst")
    assert "source_map" not in nb.metadata
    assert [c.metadata for c in nb.cells] == [{}, {"tags": ["hide-cell"]}, {"k": 1}]
    assert key_inputs(nb) == key_inputs(again)


def test_failed_code_cell_warning_names_the_file_line(make_app, tmp_path):
    text = (
        "---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n# Failing\n\n"
        "```{code-cell} ipython3\nx = 1\n```\n\nText.\n\n"
        "```{code-cell} ipython3\nraise ValueError('broken here')\n```\n"
    )
    (tmp_path / "conf.py").write_text('extensions = ["sphinx_nbcache"]\n')
    (tmp_path / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   nb\n")
    (tmp_path / "nb.md").write_text(text)
    line = text.splitlines().index("raise ValueError('broken here')") + 1
    app = make_app("html", srcdir=tmp_path)
    app.build()
    failed = [w for w in warnings_of(app) if "notebook execution failed" in w]
    assert len(failed) == 1, warnings_of(app)
    assert failed[0].startswith(f"SRC/nb.md:{line}: WARNING:"), failed[0]


def test_blank_lines_before_code_are_not_in_the_literal_text(make_app, tmp_path):
    """The code block's text is what the page shows (Pygments drops leading blank lines):
    tools that match the two, like sphinx-codeautolink, find every cell."""
    import nbformat
    from docutils import nodes
    from nbformat.v4 import new_code_cell, new_notebook

    (tmp_path / "conf.py").write_text(
        'extensions = ["sphinx_nbcache"]\nnbcache_execution_mode = "off"\n'
    )
    (tmp_path / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   nb\n")
    cell = new_code_cell("\n  \n# 2 empty lines before\nx = 1\n")
    nbformat.write(new_notebook(cells=[cell]), tmp_path / "nb.ipynb")
    app = make_app("html", srcdir=tmp_path)
    app.build()
    blocks = list(app.env.get_doctree("nb").findall(nodes.literal_block))
    assert [b.astext() for b in blocks] == ["# 2 empty lines before\nx = 1"]

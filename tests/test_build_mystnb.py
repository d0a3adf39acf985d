"""A MyST-NB project built with only ``extensions`` changed: its syntax, metadata and values."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sphinx_nbcache.sphinxext.rendering.ansi import strip_ansi


def page(app, name: str) -> BeautifulSoup:
    return BeautifulSoup((Path(app.outdir) / f"{name}.html").read_text("utf-8"), "html.parser")


@pytest.mark.sphinx("html", testroot="mystnb-read", srcdir="mystnb-read-html")
def test_mystnb_project(app):
    app.build()
    warnings = [
        line
        for line in strip_ansi(app.warning.getvalue()).replace(str(app.srcdir), "SRC").splitlines()
        if line.strip()
    ]
    # exactly two: the value that cannot apply, and the code-cell of a page that is no notebook
    assert len(warnings) == 2, warnings
    assert "nb_execution_in_temp = True cannot apply" in warnings[0]
    assert "SRC/plain.md:3" in warnings[1] and "code-cell outside a notebook" in warnings[1]

    nb = page(app, "sub/nb")
    # kernelspec with only a name, aliased by nb_kernel_rgx_aliases {".*": "python3"}: it ran
    text = nb.get_text()
    assert "[0, 1, 4, 9]" in text and "loaded from helper" in text
    cells = nb.select("div.nbcache-cell")
    assert len(cells) == 3
    tagged, figure_cell, loaded = cells
    assert "loaded from helper" in loaded.get_text()  # :load: of a file next to it
    # MyST-NB's classes beside ours
    assert {"cell", "tag_margin", "tag_scroll-output"} <= set(tagged["class"])
    assert tagged.select_one("div.nbcache-cell-input.cell_input")
    assert tagged.select_one("div.nbcache-cell-output.cell_output")
    # nb_number_source_lines
    assert tagged.select_one("div.cell_input .linenos")
    # the figure from cell metadata, with its caption, label and prompt
    figure = figure_cell.select_one("figure#fig-squares")
    assert figure is not None and "[0, 1, 4, 9]" in figure.get_text()
    assert "Squares of small numbers" in figure.select_one("figcaption").get_text()
    assert figure_cell.select_one("summary").get_text().strip() == "Reveal source"

    index = page(app, "index")
    refs = [a.get_text() for a in index.select('a[href="sub/nb.html#fig-squares"]')]
    assert refs == ["Fig. 1", "Squares of small numbers"]
    # a notebook read later in the build: its source file
    download = index.select_one("a.download")
    assert download is not None and download["href"].endswith("old.ipynb")
    # on its own page: the executed notebook, where MyST-NB writes it (sphinx-book-theme
    # copies it from there for its buttons)
    executed = Path(app.outdir).parent / "jupyter_execute" / "sub" / "nb.ipynb"
    assert "[0, 1, 4, 9]" in executed.read_text("utf-8")
    link = nb.select_one("a.download")
    assert link is not None and link["href"].endswith("nb.ipynb")
    downloaded = Path(app.outdir) / "sub" / link["href"]
    assert downloaded.read_bytes() == executed.read_bytes()
    # nb-exec-table: MyST-NB's columns; the executed notebook's row, ✅, its run time
    table = index.select_one("table")
    assert [th.get_text() for th in table.select("thead th, thead td")] == [
        "Document",
        "Modified",
        "Method",
        "Run Time (s)",
        "Status",
    ]
    rows = {
        r.select("td")[0].get_text(): [td.get_text() for td in r.select("td")]
        for r in table.select("tbody tr")
    }
    assert "old" not in rows  # shown as stored (excluded): no execution data, as in MyST-NB
    _, modified, method, seconds, status = rows["sub/nb"]
    assert modified[:2] == "20" and method == app.config.nbcache_execution_mode
    assert float(seconds) > 0 and status == "✅"

    # nbformat 4.0 without cell ids: read, not executed (excluded), stored output shown
    old = page(app, "old")
    assert "stored output" in old.get_text()
    assert "tag_full-width" in old.select_one("div.nbcache-cell")["class"]

    # the page metadata themes read for their notebook buttons
    assert app.env.metadata["sub/nb"]["kernelspec"]["name"] == "some-conda-kernel"
    assert "kernelspec" in app.env.metadata["old"]
    assert "kernelspec" not in app.env.metadata["plain"]


@pytest.mark.sphinx("html", testroot="mystnb-orphan", srcdir="mystnb-orphan-html")
def test_mystnb_orphan_notebook_and_suppressed_types(app):
    """MyST-NB's docs: a notebook with top-level ``orphan: true`` in no toctree, and
    ``suppress_warnings = ["mystnb.unknown_mime_type"]`` for plotly/bokeh outputs, and
    the summary of a folded output."""
    app.build()
    warnings = [line for line in strip_ansi(app.warning.getvalue()).splitlines() if line.strip()]
    assert warnings == []
    assert app.env.metadata["orphan"]["orphan"] is True
    assert "nbcache.mime" in app.config.suppress_warnings
    folded = page(app, "orphan").select_one("details")
    assert folded.summary.get_text() == "Show code cell output"  # MyST-NB's words
    assert "2" in folded.select_one("div.cell_output").get_text()

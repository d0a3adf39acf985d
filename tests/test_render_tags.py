"""Each display tag's effect (and the spellings of nbconvert, nbsphinx, MyST-NB); raw cells."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from buildutil import warnings_of

OFF = {"nbcache_execution_mode": "off"}


def by_name(app) -> dict[str, BeautifulSoup]:
    """Each rendered code cell, named by what its code or output mentions (``src_<name>()``)."""
    page = BeautifulSoup((Path(app.outdir) / "nb.html").read_text(encoding="utf-8"), "html.parser")
    found = {}
    for cell in page.select("div.nbcache-cell"):
        text = cell.get_text()
        name = text.split("src_")[1].split("()")[0] if "src_" in text else text.split("out-")[1]
        found[name.strip().replace("_", "-")] = cell
    return found


@pytest.mark.sphinx("html", testroot="render-tags", srcdir="render-tags-html", confoverrides=OFF)
def test_html(app):
    app.build()
    assert warnings_of(app) == []
    cells = by_name(app)
    assert sorted(cells) == [
        "hide-input",
        "hide-output",
        "nbconvert",
        "plain",
        "raises",
        "remove-input",
        "remove-output",
        "remove-stderr",
    ]  # remove-cell, nbsphinx hidden and MyST-NB's two flags leave nothing
    plain = cells["plain"]
    assert plain.select_one("div.nbcache-cell-input") and plain.select_one(
        "div.nbcache-cell-output"
    )
    assert not cells["remove-input"].select("div.nbcache-cell-input")
    assert not cells["nbconvert"].select("div.nbcache-cell-input")
    assert not cells["remove-output"].select("div.nbcache-cell-output")
    assert cells["remove-stderr"].select("div.nbcache-stream-stdout")
    assert not cells["remove-stderr"].select("div.nbcache-stream-stderr")
    hidden = cells["hide-input"].select_one("details.nbcache-collapsible")
    assert hidden.summary.get_text() == "Show code cell source"
    assert hidden.select_one("div.nbcache-cell-input")
    assert cells["hide-input"].select_one(":scope > div.nbcache-cell-output")
    hidden = cells["hide-output"].select_one("details.nbcache-collapsible")
    assert hidden.summary.get_text() == "Show code cell output"  # MyST-NB's words
    assert hidden.select_one("div.nbcache-cell-output")
    assert "tag_raises-exception" in cells["raises"]["class"]

    body = (Path(app.outdir) / "nb.html").read_text(encoding="utf-8")
    assert "Removed" not in body  # a markdown cell tagged remove-cell
    assert "<p class='raw-html'>raw html</p>" in body
    assert "raw latex" not in body
    assert "never shown" not in body
    page = BeautifulSoup(body, "html.parser")
    assert page.find("code", string="code")  # the rST raw cell, parsed


@pytest.mark.sphinx("text", testroot="render-tags", srcdir="render-tags-text", confoverrides=OFF)
def test_text_shows_hidden_content(app):
    app.build()
    assert warnings_of(app) == []
    text = (Path(app.outdir) / "nb.txt").read_text(encoding="utf-8")
    assert "src_hide_input()" in text and "out-hide-output" in text
    assert "src_remove_input()" not in text and "out-remove-output" not in text
    assert "out-nbsphinx" not in text and "out-mystnb" not in text


@pytest.mark.sphinx("latex", testroot="render-tags", srcdir="render-tags-latex", confoverrides=OFF)
def test_latex_raw_cells(app):
    app.build()
    assert warnings_of(app) == []
    tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
    assert "\\textbf{raw latex}" in tex
    assert "raw html" not in tex
    assert "src\\PYGZus{}hide\\PYGZus{}input" in tex  # hidden in HTML only

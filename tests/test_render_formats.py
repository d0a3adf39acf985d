"""Percent scripts and MyST notebooks render as notebooks; plain Markdown exactly as myst-parser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from buildutil import warnings_of

OFF = {"nbcache_execution_mode": "off"}


def body(outdir: Path, page: str) -> BeautifulSoup:
    html = (outdir / page).read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser").select_one("div.body")


@pytest.mark.sphinx("html", testroot="render-formats", srcdir="render-formats", confoverrides=OFF)
def test_text_notebooks(app):
    app.build()
    assert warnings_of(app) == []
    outdir = Path(app.outdir)

    script = body(outdir, "script.html")
    assert script.select_one("section > h1").get_text().startswith("Percent script")
    assert script.find("em").get_text() == "prose"
    code = script.select_one("div.nbcache-cell-input div.highlight-ipython3")
    assert code.get_text().strip() == "x = 1\nprint(x)"

    mystnb = body(outdir, "mystnb.html")
    assert mystnb.select_one("section > h1").get_text().startswith("MyST notebook")
    assert mystnb.select_one("div.nbcache-cell-input").get_text().strip() == "y = 2"
    assert "jupytext" not in mystnb.get_text()  # the front matter is not shown

    plain = body(outdir, "plain.html")
    assert not plain.select("div.nbcache-cell")
    assert plain.find("em").get_text() == "markdown"


def test_plain_markdown_as_myst_parser_renders_it(make_app, rootdir, tmp_path):
    outputs = {}
    for extension in ("sphinx_nbcache", "myst_parser"):
        srcdir = tmp_path / extension
        shutil.copytree(rootdir / "test-render-plainmd", srcdir)
        overrides = {"extensions": [extension]}
        if extension == "sphinx_nbcache":
            overrides.update(OFF)
        app = make_app("html", srcdir=srcdir, confoverrides=overrides)
        try:
            app.build()
            assert warnings_of(app) == []
            outputs[extension] = body(Path(app.outdir), "page.html")
        finally:
            app.cleanup()  # the next app registers the same nodes
    ours, theirs = outputs["sphinx_nbcache"], outputs["myst_parser"]
    assert ours.select_one("div.admonition.note")  # the page did use myst's syntax
    assert str(ours) == str(theirs)

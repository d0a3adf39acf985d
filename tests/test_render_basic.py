"""One notebook through the html, latex and text builders: cells, sections, references, ANSI."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from buildutil import soup, warnings_of

OFF = {"nbcache_execution_mode": "off"}


@pytest.mark.sphinx("html", testroot="render-basic", srcdir="render-basic-html", confoverrides=OFF)
def test_html(app):
    app.build()
    assert warnings_of(app) == []
    page = soup(app, "nb.html")
    body = page.select_one("div.body")

    # one section tree across cells: h1 (cell 1) > h2 (cell 3) > h3 (cell 5)
    top = body.select_one("section#notebook-title")
    # the label is the section's id, or (Sphinx 7 with myst-parser 4) a span first in it
    target = top.find(id="nb-sub")
    sub = target if target.name == "section" else target.parent
    assert sub.name == "section" and sub.parent is top
    assert sub.select_one(":scope > h2").get_text().startswith("Sub section")
    assert sub.select_one(":scope > section#deeper > h3")
    # a code cell stays in the section of the markdown before it
    assert sub.select_one(":scope > div.nbcache-cell div.nbcache-error")

    # a reference defined in a later cell; math; a cross-reference to another page
    link = top.find("a", string="link")
    assert link["href"] == "https://example.org/later"
    assert top.select_one("span.math")
    assert sub.find("a", href="other.html#other-target")

    # the attachment is written and copied
    img = top.find("img", alt="a dot")
    assert (Path(app.outdir) / img["src"]).is_file()

    # cell structure: input, output, streams merged, stderr kept apart
    cell = body.select("div.nbcache-cell")[0]
    assert "print" in cell.select_one("div.nbcache-cell-input div.highlight-ipython3").get_text()
    stdout = cell.select("div.nbcache-cell-output div.nbcache-stream-stdout")
    assert len(stdout) == 1
    assert stdout[0].get_text().strip() == "hello\nworld"
    stderr = cell.select_one("div.nbcache-stream-stderr")
    assert stderr.get_text().strip() == "careful: <b>not bold</b>"  # escaped, not HTML

    # the traceback's ANSI colours as spans
    error = body.select_one("div.nbcache-error pre")
    red = error.select("span.ansi-red-fg")
    assert red and red[1].get_text() == "ZeroDivisionError"
    assert "\x1b" not in error.get_text()

    # the execute result
    result = body.select_one("div.nbcache-execute-result")
    assert "nbcache-mime-text-plain" in result["class"]
    assert result.get_text().strip() == "42"

    # our CSS is linked and copied
    assert page.find("link", href=lambda h: h and "nbcache.css" in h)
    assert (Path(app.outdir) / "_static" / "nbcache.css").is_file()


@pytest.mark.sphinx("html", testroot="render-basic", srcdir="render-basic-xref", confoverrides=OFF)
def test_references_into_the_notebook(app):
    app.build()
    other = soup(app, "other.html")
    assert other.find("a", href="nb.html#nb-sub").get_text() == "the notebook section"
    assert other.find("a", href="nb.html")
    # the notebook's headings are in the toctree, nested
    index = soup(app, "index.html")
    nested = index.select("div.toctree-wrapper li > ul > li > ul a")
    assert [a.get_text() for a in nested] == ["Deeper"]


@pytest.mark.sphinx("text", testroot="render-basic", srcdir="render-basic-text", confoverrides=OFF)
def test_text(app):
    app.build()
    assert warnings_of(app) == []
    text = (Path(app.outdir) / "nb.txt").read_text(encoding="utf-8")
    assert "ZeroDivisionError: division by zero" in text
    assert "\x1b" not in text
    assert "hello\n   world" in text


@pytest.mark.sphinx(
    "latex", testroot="render-basic", srcdir="render-basic-latex", confoverrides=OFF
)
def test_latex(app):
    app.build()
    assert warnings_of(app) == []
    tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
    assert "ZeroDivisionError: division by zero" in tex
    assert "\x1b" not in tex
    image = next(Path(app.outdir).glob("*.png"))
    assert f"{{{image.stem}}}.png" in tex


@pytest.mark.sphinx(
    "html",
    testroot="render-basic",
    srcdir="render-basic-stderr-remove",
    confoverrides={**OFF, "nbcache_output_stderr": "remove"},
)
def test_stderr_remove(app):
    app.build()
    assert warnings_of(app) == []
    assert not soup(app, "nb.html").select("div.nbcache-stream-stderr")


@pytest.mark.sphinx(
    "html",
    testroot="render-basic",
    srcdir="render-basic-stderr-warn",
    confoverrides={**OFF, "nbcache_output_stderr": "warn", "nbcache_merge_streams": False},
)
def test_stderr_warn_and_unmerged_streams(app):
    app.build()
    assert warnings_of(app) == [
        "SRC/nb.ipynb:2: WARNING: output on stderr: careful: <b>not bold</b> [nbcache.stderr]"
    ]
    page = soup(app, "nb.html")
    assert page.select("div.nbcache-stream-stderr")
    assert len(page.select("div.nbcache-stream-stdout")) == 2


@pytest.mark.sphinx(
    "html", testroot="render-basic", srcdir="render-basic-pickle", confoverrides=OFF
)
def test_doctree_pickles(app):
    app.build()
    doctree = app.env.get_doctree("nb")
    assert pickle.loads(pickle.dumps(doctree)).astext() == doctree.astext()


@pytest.mark.sphinx("html", testroot="render-broken", srcdir="render-broken", confoverrides=OFF)
def test_unreadable_notebook_warns(app):
    app.build()
    # exactly one warning for the file, of the same subtype as every failed notebook
    ours = [line for line in warnings_of(app) if "bad.ipynb" in line]
    assert len(ours) == 1
    assert ours[0].endswith("[nbcache.exec]")
    # located at the line the JSON error names
    assert ours[0].startswith("SRC/bad.ipynb:1: WARNING: SRC/bad.ipynb: invalid JSON at line 1")

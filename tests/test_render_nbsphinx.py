"""Notebooks written for nbsphinx: its anchors, labels and links, alert boxes, raw cells,
prompts, and the builders it supports."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from buildutil import soup, warnings_of

OFF = {"nbcache_execution_mode": "off"}


def links(page: BeautifulSoup) -> dict[str, str]:
    """Link text -> href of the page body (permalinks left out)."""
    body = page.select_one("div.body")
    return {
        a.get_text(): a["href"]
        for a in body.select("a[href]")
        if "headerlink" not in a.get("class", [])
    }


@pytest.mark.sphinx("html", testroot="nbsphinx-links", srcdir="nbsphinx-html", confoverrides=OFF)
def test_anchors_labels_and_links(app):
    app.build()
    # no warning for orphan.ipynb: in no toctree (nbsphinx's "orphan" metadata), and its
    # skipped heading level (# then ###) is shown as Jupyter shows it
    assert warnings_of(app) == []
    assert "Skipped a level" in soup(app, "orphan.html").select_one("div.body").get_text()
    nb = soup(app, "nb.html")
    sub = soup(app, "subdir/sub.html")
    # nbsphinx's ids next to Sphinx's own
    sub_ids = {e["id"] for e in sub.select("[id]")}
    assert {"a-sub-section", "A-Sub-Section", "That's-a-%22Strange%22-Section"} <= sub_ids
    assert {"links-to-other-notebooks", "Links-to-Other-Notebooks"} <= {
        e["id"] for e in nb.select("[id]")
    }

    got = links(nb)
    assert got["sub notebook"] == "subdir/sub.html"
    assert got["sub section"] == "subdir/sub.html#A-Sub-Section"
    assert got["strange section"] == "subdir/sub.html#That's-a-%22Strange%22-Section"
    assert got["this section"] == "#Links-to-Other-Notebooks"
    assert got["top of page"] == "#"
    assert got["reST page"] == "page.html"
    assert got["reST section"] == "page.html#sphinx-directives"
    assert got["a function"] == "page.html#example_python_function"
    # nbsphinx reads "name.ipynb" as the page "name", whatever its file's suffix
    assert got["a script by its notebook name"] == "script.html"
    assert got["its section"] == "script.html#Script-Section"
    # a local file is copied as a download
    download = got["a local file"]
    assert download.startswith("_downloads/")
    assert (Path(app.outdir) / download).read_text() == "some data\n"
    assert links(sub)["back"] == "../nb.html#Links-to-Other-Notebooks"
    assert links(sub)["parent"] == "../nb.html"

    # reST: URI links to notebooks, and the labels nbsphinx defines
    index = links(soup(app, "index.html"))
    assert index["a notebook section"] == "nb.html#Links-to-Other-Notebooks"
    assert index["a notebook"] == "subdir/sub.html"
    assert index["Notebook Title"] == "nb.html"  # :ref:`/nb.ipynb`
    assert index["A Sub-Section"] == "subdir/sub.html#A-Sub-Section"
    assert index['That\'s a "Strange" Section'] == "subdir/sub.html#That's-a-%22Strange%22-Section"
    assert index["Sub Notebook"] == "subdir/sub.html"  # :doc:


@pytest.mark.sphinx("html", testroot="nbsphinx-links", srcdir="nbsphinx-alerts", confoverrides=OFF)
def test_alert_divs_become_admonitions(app):
    app.build()
    body = soup(app, "nb.html").select_one("div.body")
    boxes = body.select("div.admonition")
    assert [b.get("class") for b in boxes] == [
        ["note", "admonition"],
        ["warning", "admonition"],
        ["admonition", "note"],
    ]
    assert boxes[0].select_one("p.admonition-title").get_text() == "Note"
    assert boxes[0].find("em").get_text() == "note"
    # the nested box is inside the outer one, and no <div class="alert"> is left
    assert boxes[1].select_one("div.admonition") is boxes[2]
    assert not body.select("div.alert")

    # nbsphinx's directives for the same boxes in reST pages
    page_boxes = soup(app, "page.html").select("div.body div.admonition")
    classes = [b.get("class") for b in page_boxes]
    assert classes == [["note", "admonition"], ["admonition", "warning"]]
    assert page_boxes[0].select_one("p.admonition-title").get_text() == "Info"
    assert "A one-paragraph warning." in page_boxes[1].get_text()


@pytest.mark.sphinx("html", testroot="nbsphinx-links", srcdir="nbsphinx-math", confoverrides=OFF)
def test_equations_and_their_references(app):
    app.build()
    body = soup(app, "nb.html").select_one("div.body")
    block = body.select_one("div.math")
    assert r"\label{golden}" in block.get_text()
    inline = [m.get_text() for m in body.select("span.math")]
    assert inline == [r"\(\eqref{golden}\)", r"\(\ref{golden}\)"]
    assert body.find("code", string=r"\ref{code}")


@pytest.mark.sphinx("html", testroot="nbsphinx-links", srcdir="nbsphinx-raw", confoverrides=OFF)
def test_raw_cells_html(app):
    app.build()
    html = (Path(app.outdir) / "nb.html").read_text(encoding="utf-8")
    page = BeautifulSoup(html, "html.parser")
    assert page.select_one("p.from-raw-html").get_text() == "raw html"
    assert page.find("em", string="raw-rst-marker")
    # a named reference of a reST cell reaches its URI, though a heading has the same name
    assert page.find("a", string="raw_rst")["href"] == "https://example.org/raw-rst"
    assert page.find("strong", string="raw-md-marker")
    for dropped in ("raw-latex-marker", "raw-python-marker", "raw-none-marker"):
        assert dropped not in html


@pytest.mark.sphinx("latex", testroot="nbsphinx-links", srcdir="nbsphinx-latex", confoverrides=OFF)
def test_raw_cells_latex_and_build(app):
    app.build()
    assert warnings_of(app) == []
    tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
    tex = tex.replace(r"\sphinxhyphen{}", "-")
    assert r"\textbf{raw-latex-marker}" in tex
    assert "raw-rst-marker" in tex and "raw-md-marker" in tex
    for dropped in ("from-raw-html", "raw-python-marker", "raw-none-marker"):
        assert dropped not in tex
    assert r"\begin{sphinxadmonition}{note}{Note}" in tex


@pytest.mark.parametrize("builder", ["dirhtml", "singlehtml", "epub"])
def test_builders_nbsphinx_supports(make_app, sphinx_test_tempdir, rootdir, builder):
    import shutil

    srcdir = sphinx_test_tempdir / f"nbsphinx-{builder}"
    if srcdir.exists():
        shutil.rmtree(srcdir)
    shutil.copytree(rootdir / "test-nbsphinx-links", srcdir)
    app = make_app(builder, srcdir=srcdir, confoverrides=OFF)
    app.build()
    assert warnings_of(app) == []
    if builder == "dirhtml":
        got = links(soup(app, "nb/index.html"))
        assert got["sub section"] == "../subdir/sub/#A-Sub-Section"
        assert got["this section"] == "#Links-to-Other-Notebooks"
        assert "A-Sub-Section" in {
            e["id"] for e in soup(app, "subdir/sub/index.html").select("[id]")
        }
    elif builder == "singlehtml":
        page = soup(app, "index.html")
        ids = {e["id"] for e in page.select("[id]")}
        got = links(page)
        for text in ("sub section", "strange section", "this section", "back"):
            assert got[text].startswith("#"), text
            assert got[text][1:] in ids, text


PROMPTS = {**OFF, "nbcache_prompts": True}


@pytest.mark.sphinx(
    "html", testroot="nbsphinx-links", srcdir="nbsphinx-prompts", confoverrides=PROMPTS
)
def test_prompts(app):
    app.build()
    cells = soup(app, "nb.html").select("div.nbcache-cell-code")
    first, second = cells[0], cells[1]

    def prompt(cell, css: str) -> str:
        return cell.select_one(css).get_text().strip()

    assert prompt(first, ".nbcache-cell-input .nbcache-prompt-input") == "[3]:"
    assert prompt(first, ".nbcache-cell-output .nbcache-prompt-output") == "[3]:"
    assert second.select_one(".nbcache-prompt-input").get_text().strip() == "[4]:"
    # a stream is not the cell's result: an empty prompt keeps the columns aligned
    assert second.select_one(".nbcache-prompt-output").get_text().strip() == ""
    css = (Path(app.outdir) / "_static" / "nbcache.css").read_text()
    assert "div.nbcache-has-prompt" in css


@pytest.mark.sphinx(
    "html", testroot="nbsphinx-links", srcdir="nbsphinx-noprompts", confoverrides=OFF
)
def test_no_prompts_by_default(app):
    app.build()
    assert not soup(app, "nb.html").select(".nbcache-prompt")

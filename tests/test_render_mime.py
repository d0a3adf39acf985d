"""One MIME type per output, chosen for each builder; images copied; unknown types warned."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from buildutil import warnings_of

OFF = {"nbcache_execution_mode": "off"}
UNKNOWN = (
    "SRC/nb.ipynb:6: WARNING: no MIME type of this output can be rendered: "
    "application/x-mystery [nbcache.mime]"
)


def cells(app) -> list[BeautifulSoup]:
    page = BeautifulSoup((Path(app.outdir) / "nb.html").read_text(encoding="utf-8"), "html.parser")
    return page.select("div.nbcache-cell")


@pytest.mark.sphinx("html", testroot="render-mime", srcdir="render-mime-html", confoverrides=OFF)
def test_html(app):
    app.build()
    assert warnings_of(app) == [UNKNOWN]
    rich, figure, table, markdown, unknown, widget, math = cells(app)

    assert rich.select_one("b.rich-html").get_text() == "bold html"
    assert "nbcache-mime-text-html" in rich.select_one("div.nbcache-display-data")["class"]
    assert not rich.find("img") and "Rich plain" not in rich.get_text()

    img = figure.find("img")  # the SVG wins over the PNG in HTML
    assert img["src"].startswith("_images/") and img["src"].endswith(".svg")
    assert (Path(app.outdir) / img["src"]).is_file()

    assert table.select_one("table.df")
    assert markdown.select_one("div.nbcache-output em").get_text() == "emphasis"
    assert not unknown.select("div.nbcache-cell-output")
    assert widget.select_one("div.nbcache-output").get_text().strip() == "IntSlider(value=3)"
    assert math.select_one("div.math")

    # only the images the page shows are copied (the PNGs lost to HTML and SVG)
    assert [p.suffix for p in (Path(app.outdir) / "_images").iterdir()] == [".svg"]


@pytest.mark.sphinx("latex", testroot="render-mime", srcdir="render-mime-latex", confoverrides=OFF)
def test_latex(app):
    app.build()
    assert warnings_of(app) == [UNKNOWN]
    tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
    pngs = sorted(Path(app.outdir).glob("*.png"))
    assert len(pngs) == 2  # the rich bundle's PNG and the figure's PNG (not its SVG)
    for png in pngs:
        assert f"{{{png.stem}}}.png" in tex
    assert "width=20\\sphinxpxdimen,height=10\\sphinxpxdimen" in tex
    assert "\\begin{tabular}{r}" in tex  # raw LaTeX of the table
    assert "Some \\sphinxstyleemphasis{emphasis} here" in tex  # markdown before plain
    assert "x_1" in tex  # math
    assert "IntSlider(value=3)" in tex
    assert "Rich plain" not in tex and "bold html" not in tex
    assert not list(Path(app.outdir).glob("*.svg"))


@pytest.mark.sphinx("text", testroot="render-mime", srcdir="render-mime-text", confoverrides=OFF)
def test_text(app):
    app.build()
    assert warnings_of(app) == [UNKNOWN]
    text = (Path(app.outdir) / "nb.txt").read_text(encoding="utf-8")
    for plain in ("<Rich plain>", "<Figure>", "   a\n   0  1", "<Markdown>", "<Math>"):
        assert plain in text
    assert "bold html" not in text and "emphasis" not in text and "[image" not in text


@pytest.mark.sphinx(
    "html",
    testroot="render-mime",
    srcdir="render-mime-priority",
    confoverrides={**OFF, "nbcache_mime_priority": {"html": ["text/plain"]}},
)
def test_priority_override(app):
    app.build()
    rich = cells(app)[0]
    assert rich.select_one("div.nbcache-output").get_text().strip() == "<Rich plain>"
    assert not rich.select("b.rich-html")


@pytest.mark.sphinx(
    "html",
    testroot="render-mime",
    srcdir="render-mime-suppress",
    confoverrides={**OFF, "suppress_warnings": ["nbcache.mime"]},
)
def test_unknown_warning_can_be_suppressed(app):
    app.build()
    assert warnings_of(app) == []


def test_latex_environment_is_not_wrapped_again(make_app, tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    align = r"\begin{align} a &= b \\ c &= d \end{align}"
    cell = new_code_cell(
        "Latex(...)",
        outputs=[new_output("display_data", data={"text/latex": align, "text/plain": "L"})],
    )
    (tmp_path / "conf.py").write_text('extensions = ["sphinx_nbcache"]\n')
    (tmp_path / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   nb\n")
    nbformat.write(new_notebook(cells=[cell]), tmp_path / "nb.ipynb")
    for builder, page in (("html", "nb.html"), ("latex", "*.tex")):
        app = make_app(builder, srcdir=tmp_path, confoverrides=OFF)
        app.build()
        app.cleanup()
        out = next(Path(app.outdir).glob(page)).read_text(encoding="utf-8")
        assert r"\begin{align} a &= b" in out.replace("&amp;", "&")
        assert r"\begin{split}" not in out


@pytest.mark.parametrize(
    ("mime", "lexer"),
    [
        ("text/x-haskell", "haskell"),
        ("text/x-python", "python"),
        ("text/x-no-such-language", None),
        ("text/plain", None),
        ("text/html", None),
        ("image/png", None),
    ],
)
def test_code_lexer_of_source_code_types(mime, lexer):
    from sphinx_nbcache.sphinxext.rendering.mime import code_lexer

    assert code_lexer(mime) == lexer


def test_source_code_output_is_highlighted_with_its_lexer(make_app, tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    haskell = 'main = putStrLn "hi"'
    outputs = [
        new_output("display_data", data={"text/x-haskell": haskell, "text/x-python": "x = 1"}),
        new_output("display_data", data={"text/x-no-such-language": "???"}),
    ]
    (tmp_path / "conf.py").write_text(
        'extensions = ["sphinx_nbcache"]\nexclude_patterns = ["_build"]\n'
    )
    (tmp_path / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   nb\n")
    nbformat.write(
        new_notebook(cells=[new_code_cell("Code(...)", outputs=outputs)]), tmp_path / "nb.ipynb"
    )
    for builder, page in (("html", "nb.html"), ("latex", "*.tex")):
        app = make_app(builder, srcdir=tmp_path, confoverrides=OFF)
        app.build()
        app.cleanup()
        # only the type with no lexer at all is warned about (once: latex reuses the doctree)
        assert builder == "latex" or [w for w in warnings_of(app) if "text/x-" in w] == [
            "SRC/nb.ipynb:1: WARNING: no MIME type of this output can be rendered: "
            "text/x-no-such-language [nbcache.mime]"
        ]
        out = next(Path(app.outdir).glob(page)).read_text(encoding="utf-8")
        assert "putStrLn" in out
    html = BeautifulSoup((Path(app.outdir).parent / "html" / "nb.html").read_text(), "html.parser")
    block = html.select_one("div.highlight-haskell")
    assert block is not None and "putStrLn" in block.get_text()

"""glue: values glued in notebooks pasted into pages, from the same and from other notebooks."""

from __future__ import annotations

import pytest
from buildutil import copy_project, warnings, write_later


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "glue-basic", tmp_path, monkeypatch)


def _build(make_app, src):
    """Build once; return the app and the documents read, as counted by ``doctree-read``."""
    app = make_app("html", srcdir=src)
    read: list[str] = []
    app.connect("doctree-read", lambda app, doctree: read.append(app.env.docname))
    try:
        app.build()
    finally:
        app.cleanup()
    return app, sorted(read)


def _pasted(project):
    return [s.get_text() for s in project.page("paster").select(".pasted-text")]


def test_glued_values_are_pasted(make_app, project):
    app, _ = _build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["paster", "source"]
    page = project.page("source")
    assert [s.get_text() for s in page.select(".pasted-text")] == ["3.14", "1,234,567"]
    assert "Markdown inline: some bold words" in project.text("source")
    assert page.select_one(".nbcache-pasted strong").get_text() == "bold"
    # the figure, referable with numref; the equation, with eq
    figure = page.find("figure", id="fig-plot")
    assert figure is not None and "The red square." in figure.get_text()
    assert figure.find("img")["alt"] == "a red square"
    assert "align-center" in figure["class"]
    assert page.select_one("a.reference[href='#fig-plot']").get_text(strip=True) == "Fig. 1"
    math = page.find(id="equation-eq-pythagoras")
    assert "a^2 + b^2 = c^2" in math.get_text()
    eq_ref = page.select_one("a.reference[href='#equation-eq-pythagoras']")
    assert eq_ref.get_text(strip=True) == "(1)"
    # values glued with display=False never show as outputs: one image (the figure) only
    assert len(page.find_all("img")) == 1
    outputs = page.select(".nbcache-cell-output")
    assert [o.get_text(strip=True) for o in outputs] == ["'hello glue'"]
    # pasted from the other notebook, by path
    assert _pasted(project) == ["3.142"]
    paster = project.text("paster")
    # from another notebook: straight quotes, as MyST-NB pastes it (after smart quotes ran);
    # on its own page: curly quotes, as MyST-NB's too
    assert "pasted greeting: 'hello glue'" in paster
    assert "Greeting: \u2018hello glue\u2019" in project.text("source")
    assert "paster's own output" in paster
    assert len(project.page("paster").find_all("img")) == 1


def test_pasting_page_follows_the_source_notebook(make_app, project):
    _build(make_app, project.src)
    assert project.executed() == ["paster", "source"]
    source = project.src / "source.md"

    # the source's code changes: it executes; both pages are read, the paster shows the value
    write_later(source, source.read_text().replace("3.14159265", "2.71828182"))
    app, read = _build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["source"]
    assert read == ["paster", "source"]
    assert _pasted(project) == ["2.718"]
    assert "paster's own output" in project.text("paster")  # from its cache record
    assert project.report()["paster"]["status"] == "cached"

    # a markdown-only edit of the source: that page alone is read, nothing executes
    write_later(source, source.read_text().replace("# Source", "# Source, edited"))
    app, read = _build(make_app, project.src)
    assert project.executed() == []
    assert read == ["source"]
    assert _pasted(project) == ["2.718"]


def test_missing_keys_are_located_warnings(make_app, project):
    (project.src / "missing.md").write_text(
        "# Missing\n\nHere {glue:text}`source.md::nokey:.2f` and {glue}`nokey2`.\n"
    )
    index = project.src / "index.md"
    index.write_text(index.read_text().replace("paster\n", "paster\nmissing\n"))
    app, _ = _build(make_app, project.src)
    lines = warnings(app)
    assert len(lines) == 2, lines
    assert "missing.md:3: WARNING: glue key 'nokey' not found in notebook source.md" in lines[0]
    assert "glue key 'nokey2': this page is not a notebook" in lines[1]
    assert lines[0].endswith("[nbcache.glue]")


def test_pastes_are_remembered_from_parallel_readers(make_app, project):
    def build_parallel():
        app = make_app("html", srcdir=project.src, parallel=2)
        try:
            app.build()
        finally:
            app.cleanup()
        return app

    assert warnings(build_parallel()) == []
    assert _pasted(project) == ["3.142"]
    source = project.src / "source.md"
    write_later(source, source.read_text().replace("3.14159265", "1.41421356"))
    assert warnings(build_parallel()) == []
    assert project.executed() == ["paster", "source", "source"]
    assert _pasted(project) == ["1.414"]


def test_glue_in_the_kernel_imports_no_sphinx():
    import subprocess
    import sys

    code = (
        "import sys\nfrom sphinx_nbcache import glue\n"
        "print(callable(glue), [m for m in sys.modules if m.split('.')[0] in "
        "('sphinx', 'docutils', 'myst_parser')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True []"


def test_values_glued_by_myst_nb_are_read():
    import nbformat.v4 as v4

    from sphinx_nbcache.sphinxext.glue.values import glued_values, without_hidden_records

    # the outputs myst_nb.glue writes, as stored in a notebook it executed
    hidden = v4.new_output(
        "display_data",
        {"application/papermill.record/text/plain": "0.5"},
        metadata={"scrapbook": {"name": "half", "mime_prefix": "application/papermill.record/"}},
    )
    shown = v4.new_output(
        "display_data",
        {"text/plain": "'hi'"},
        metadata={"scrapbook": {"name": "hi", "mime_prefix": ""}},
    )
    nb = v4.new_notebook(cells=[v4.new_code_cell("glue(...)", outputs=[hidden, shown])])
    values, duplicates = glued_values(nb)
    assert values["half"]["data"] == {"text/plain": "0.5"}
    assert values["hi"]["data"] == {"text/plain": "'hi'"}
    assert duplicates == []
    assert without_hidden_records(nb).cells[0].outputs == [shown]
    assert nb.cells[0].outputs == [hidden, shown]  # the notebook itself is not changed


@pytest.mark.parametrize(
    ("text", "spec", "expected"),
    [
        ("3.14159", ".2f", "3.14"),
        ("np.float64(3.14159)", ".3f", "3.142"),  # numpy 2's repr of a scalar
        ("'abc'", "", "abc"),
        ("1234567", ",d", "1,234,567"),
        ("0.25", ".0%", "25%"),
        ("not a literal", "s", "not a literal"),
    ],
)
def test_format_specs(text, spec, expected):
    from sphinx_nbcache.sphinxext.glue.render import format_plain_text

    assert format_plain_text(text, spec) == expected


@pytest.mark.sphinx("html", testroot="glue-widget", srcdir="glue-widget-html")
def test_widget_pasted_inline_where_its_state_is(app):
    """A glued (or eval'd) widget inline is its view, as MyST-NB pastes it, when the page holds
    the widget's state; without it, its ``text/plain``."""
    from pathlib import Path

    from bs4 import BeautifulSoup

    app.build()
    assert warnings(app) == []
    html = (Path(app.outdir) / "widget.html").read_text("utf-8")
    pasted = BeautifulSoup(html, "html.parser").select("p .nbcache-pasted")
    assert len(pasted) == 2
    view = pasted[0].select_one('script[type="application/vnd.jupyter.widget-view+json"]')
    assert view is not None and '"model-5"' in view.get_text()
    assert pasted[1].get_text(strip=True) == "IntSlider(value=7)"
    assert "html-manager" in html  # the page loads the widget manager

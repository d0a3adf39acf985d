"""Widgets render in HTML from the notebook's saved state; elsewhere their text/plain shows."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_notebook, new_output

from sphinx_nbcache.sphinxext.rendering.widgets import EMBED_JS, WIDGET_STATE, WIDGET_VIEW

OFF = {"nbcache_execution_mode": "off"}
VIEW = {"model_id": "slider-1", "version_major": 2, "version_minor": 0}
STATE = {
    "state": {"slider-1": {"model_name": "IntSliderModel", "state": {"value": 3}}},
    "version_major": 2,
    "version_minor": 0,
}


def _project(tmp_path: Path, with_state: bool) -> Path:
    output = new_output("display_data", data={WIDGET_VIEW: VIEW, "text/plain": "IntSlider(3)"})
    metadata = {"widgets": {WIDGET_STATE: STATE}} if with_state else {}
    nbformat.write(
        new_notebook(cells=[new_code_cell("slider", outputs=[output])], metadata=metadata),
        tmp_path / "nb.ipynb",
    )
    (tmp_path / "plain.md").write_text("# Plain\n")
    (tmp_path / "conf.py").write_text('extensions = ["sphinx_nbcache"]\n')
    (tmp_path / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   nb\n   plain\n")
    return tmp_path


def _build(make_app, src: Path, builder: str = "html"):
    app = make_app(builder, srcdir=src, confoverrides=OFF)
    app.build()
    app.cleanup()
    return app


def test_widget_with_state(make_app, tmp_path):
    app = _build(make_app, _project(tmp_path, with_state=True))
    page = BeautifulSoup((Path(app.outdir) / "nb.html").read_text(), "html.parser")
    [view] = page.find_all("script", type=WIDGET_VIEW)
    assert json.loads(view.string) == VIEW
    [state] = page.find_all("script", type=WIDGET_STATE)
    assert json.loads(state.string) == STATE
    assert page.find("script", src=EMBED_JS) is not None
    assert "IntSlider(3)" not in page.get_text()
    # the manager is loaded only where widgets are
    plain = BeautifulSoup((Path(app.outdir) / "plain.html").read_text(), "html.parser")
    assert plain.find("script", src=EMBED_JS) is None

    text = _build(make_app, tmp_path, "text")
    assert "IntSlider(3)" in (Path(text.outdir) / "nb.txt").read_text()


def test_widget_without_state_falls_back_to_text(make_app, tmp_path):
    app = _build(make_app, _project(tmp_path, with_state=False))
    page = BeautifulSoup((Path(app.outdir) / "nb.html").read_text(), "html.parser")
    assert page.find("script", type=WIDGET_VIEW) is None
    assert page.find("script", src=EMBED_JS) is None
    assert "IntSlider(3)" in page.get_text()

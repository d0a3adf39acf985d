"""nbsphinx's configuration values: prolog and epilog, and a warning for each one not applied."""

from __future__ import annotations

import pytest
from buildutil import warnings


@pytest.mark.sphinx("html", testroot="nbsphinx-prolog", srcdir="nbsphinx-prolog")
def test_prolog_epilog_and_inapplicable_values(app):
    app.build()
    lines = warnings(app)
    assert len(lines) == 2, lines
    assert "nbsphinx_codecell_lexer is not applied by sphinx-nbcache" in lines[0]
    assert "nbsphinx_prompt_width is not applied by sphinx-nbcache" in lines[1]
    assert app.config.nbcache_prolog.strip().startswith("{% set source")

    html = (app.outdir / "nb.html").read_text()
    from bs4 import BeautifulSoup

    body = BeautifulSoup(html, "html.parser").find(attrs={"role": "main"})
    text = " ".join(body.get_text(" ").split())
    # the template is rendered with env, then parsed as reST: a note admonition
    note = body.find("div", class_="admonition note")
    assert note is not None and "Prolog of nb (nb.ipynb)." in note.get_text()
    assert body.find("em").get_text() == "after"
    # nbconvert's escape_latex filter, which nbsphinx's own prolog uses: x\_y in reST
    assert "Epilog after nb, x_y." in text
    assert text.index("Prolog of nb") < text.index("Notebook text.") < text.index("Epilog")
    # not on other pages
    assert "Prolog of" not in (app.outdir / "index.html").read_text()

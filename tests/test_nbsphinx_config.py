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


def test_nbsphinx_kernel_name_runs_every_notebook_on_it(make_app, tmp_path, monkeypatch):
    import json
    import sys

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    # a kernel told apart from python3 by a variable in its environment
    spec = tmp_path / "jupyter" / "kernels" / "marked"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Marked", "language": "python"}
    kernel["env"] = {"WHICH_KERNEL": "marked"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["sphinx_nbcache"]\nexclude_patterns = ["_build"]\n'
        'nbsphinx_kernel_name = "marked"\n'
    )
    (src / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   nb\n")
    nb = new_notebook(cells=[new_code_cell("import os; print(os.environ.get('WHICH_KERNEL'))")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, src / "nb.ipynb")
    app = make_app("html", srcdir=src)
    app.build()
    assert not [w for w in warnings(app) if "is not applied" in w]
    # the notebook names python3, and ran on the kernel nbsphinx_kernel_name names
    assert "marked" in (app.outdir / "nb.html").read_text()

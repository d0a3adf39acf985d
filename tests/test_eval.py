"""eval in inline mode: expressions evaluated in the kernel once, then shown from the cache."""

from __future__ import annotations

import pytest
from buildutil import build, copy_project, warnings, write_later

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.inline import add_eval_cells, expressions, split_eval_cells


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "eval-inline", tmp_path, monkeypatch)


def _values(project):
    """The inline values, then the text of the ``eval`` directive's block."""
    page = project.page("evaluated")
    inline = [s.get_text() for s in page.select(".nbcache-pasted-text")]
    return [*inline, page.select_one("div.nbcache-pasted pre").get_text().strip()]


def test_inline_values_come_from_the_cache(make_app, project):
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["evaluated"]
    # each expression is evaluated after the code cell before it; strings lose their quotes
    assert _values(project) == ["42", "Ada", "42", "100", "100"]
    page = project.page("evaluated")
    figure = page.find("figure", id="fig-square")
    assert figure.find("img") is not None and "An evaluated square." in figure.get_text()
    assert page.select_one("a.reference[href='#fig-square']").get_text(strip=True) == "Fig. 1"
    # the generated cells are not shown; the record holds their outputs
    assert "__nbcache_eval" not in project.text("evaluated")
    assert len(page.select(".nbcache-cell-code")) == 2

    # a prose edit: the page is read again and shows the values, with no kernel started
    path = project.src / "evaluated.md"
    write_later(path, path.read_text().replace("# Evaluated", "# Evaluated, edited"))
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == []
    assert project.report()["evaluated"]["status"] == "cached"
    assert _values(project) == ["42", "Ada", "42", "100", "100"]
    assert "Evaluated, edited" in project.text("evaluated")
    assert len(NotebookCache(project.src / ".nbcache").list_records()) == 1

    # an edited expression is code: the notebook executes again
    write_later(path, path.read_text().replace("said {eval}`name`", "said {eval}`answer`"))
    app = build(make_app, project.src)
    assert project.executed() == ["evaluated"]
    assert _values(project) == ["42", "42", "42", "100", "100"]


def test_eval_outside_inline_mode_warns(make_app, project):
    app = build(make_app, project.src, confoverrides={"nbcache_execution_mode": "cache"})
    lines = warnings(app)
    assert project.executed() == ["evaluated"]
    # the six expressions, and the figure they would have made
    assert len(lines) == 7, lines
    assert "undefined label: 'fig-square'" in lines[6]
    assert "evaluated.md:" in lines[0]
    assert "{eval} 'answer' has no value: it is evaluated in execution mode 'inline'" in lines[0]
    assert lines[0].endswith("[nbcache.eval]")


def test_expressions_are_collected_and_split_again():
    import nbformat.v4 as v4

    text = "a {eval}`x` b {eval}`y.z` c\n\n```{eval:figure} fig\n:name: f\n```\n"
    assert expressions(text) == ["x", "fig"]
    assert expressions(text, r".*") == ["x", "y.z", "fig"]
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("before {eval}`a`"),
            v4.new_code_cell("a = 1"),
            v4.new_markdown_cell("after {eval}`a`"),
            v4.new_markdown_cell("no expression"),
            v4.new_code_cell("b = 2"),
        ]
    )
    prepared = add_eval_cells(nb)
    kinds = ["gen" if "nbcache" in c.metadata else c.cell_type for c in prepared.cells]
    assert kinds == ["gen", "markdown", "code", "gen", "markdown", "markdown", "code"]
    assert add_eval_cells(v4.new_notebook(cells=[v4.new_code_cell("1")])).cells[0].source == "1"
    prepared.cells[3].outputs = [
        v4.new_output(
            "display_data", {"text/plain": "1"}, metadata={"nbcache_eval": {"expression": "a"}}
        )
    ]
    back, values = split_eval_cells(prepared)
    assert [c.source for c in back.cells] == [c.source for c in nb.cells]
    assert list(values) == [2, 3]  # every markdown cell of the run after the code cell
    assert values[2]["a"][0]["data"] == {"text/plain": "1"}


def test_myst_nb_values_select_inline_mode(make_app, project):
    conf = project.src / "conf.py"
    conf.write_text(
        conf.read_text().replace(
            'nbcache_execution_mode = "inline"',
            'nb_execution_mode = "inline"\nnb_eval_name_regex = r"^[a-z_ +0-9]+$"',
        )
    )
    path = project.src / "evaluated.md"
    path.write_text(path.read_text().replace("said {eval}`name`", "said {eval}`answer + 1`"))
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["evaluated"]
    assert _values(project) == ["42", "43", "42", "100", "100"]


def test_an_expression_that_raises_is_a_located_warning(make_app, project):
    path = project.src / "evaluated.md"
    path.write_text(path.read_text().replace("Now the answer", "Undefined: {eval}`nothing`. Now"))
    app = build(make_app, project.src)
    assert project.executed() == ["evaluated"]
    lines = warnings(app)
    assert len(lines) == 1, lines
    expected = "evaluated.md:46: WARNING: {eval} 'nothing' failed: NameError: name 'nothing'"
    assert expected in lines[0]
    assert lines[0].endswith("[nbcache.eval]")
    assert _values(project) == ["42", "Ada", "42", "100", "100"]

"""Incremental builds execute exactly the notebooks whose code changed."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from buildutil import build, copy_project, reread, warnings

from sphinx_nbcache.engine import NotebookCache


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "build-basic", tmp_path, monkeypatch)


def _edit_alpha(project, edit):
    path = project.src / "alpha.ipynb"
    nb = nbformat.read(path, as_version=4)
    edit(nb)
    nbformat.write(nb, path)


def test_edit_cycle_executes_only_changed_code(make_app, project):
    # cold: every notebook executes once, pages show their outputs
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["alpha", "beta", "gamma"]
    assert "alpha says 42" in project.text("alpha")
    assert "beta says 1024" in project.text("beta")
    assert "gamma says 10" in project.text("gamma")
    report = project.report()
    assert {d: r["status"] for d, r in report.items()} == {
        "alpha": "executed",
        "beta": "executed",
        "gamma": "executed",
    }
    assert len(NotebookCache(project.src / ".nbcache").list_records()) == 3

    # no-op: nothing read, nothing executed
    app = build(make_app, project.src)
    assert reread(app) == (0, 0)
    assert project.executed() == []
    assert {r["status"] for r in project.report().values()} == {"cached"}

    # markdown edit: one page re-read, nothing executed, new prose shown
    _edit_alpha(project, lambda nb: setattr(nb.cells[0], "source", "# Alpha\n\nEdited prose."))
    app = build(make_app, project.src)
    assert reread(app) == (0, 1)
    assert project.executed() == []
    assert "Edited prose." in project.text("alpha")
    assert "alpha says 42" in project.text("alpha")

    # display tag: nothing executed, the input disappears from the page
    def tag(nb):
        nb.cells[2].metadata["tags"] = ["remove-input"]

    _edit_alpha(project, tag)
    build(make_app, project.src)
    assert project.executed() == []
    assert "print('alpha says'" not in project.text("alpha")
    assert "alpha says 42" in project.text("alpha")

    # code edit: exactly that notebook executes and shows the new output
    _edit_alpha(project, lambda nb: setattr(nb.cells[2], "source", "print('alpha says', 6 * 8)"))
    app = build(make_app, project.src)
    assert project.executed() == ["alpha"]
    assert "alpha says 48" in project.text("alpha")
    assert project.report()["alpha"]["status"] == "executed"
    assert "code cell 2 changed" in project.report()["alpha"]["reason"]
    assert project.report()["beta"]["status"] == "cached"


def test_vanished_record_is_executed_again(make_app, project):
    build(make_app, project.src)
    assert project.executed() == ["alpha", "beta", "gamma"]
    cache = NotebookCache(project.src / ".nbcache")
    [beta] = [r for r in cache.list_records() if r.uri == "beta.md"]
    cache.remove(beta.id)
    cache.close()

    app = build(make_app, project.src)
    assert reread(app) == (0, 2)  # beta, and the page holding the execution table
    assert project.executed() == ["beta"]
    assert project.report()["beta"]["reason"] == "record evicted or removed"
    assert "beta says 1024" in project.text("beta")


def test_fresh_clone_with_warm_cache_executes_nothing(make_app, project, tmp_path):
    build(make_app, project.src)
    assert project.executed() == ["alpha", "beta", "gamma"]
    first = {name: project.text(name) for name in ("alpha", "beta", "gamma")}
    artefact = project.src / "generated" / "alpha.csv"
    assert artefact.read_text() == "x,y\n1,2\n"

    # a fresh clone: no _build, no generated files, only the cache folder restored
    clone = tmp_path / "clone"
    shutil.copytree(project.src, clone, ignore=shutil.ignore_patterns("_build"))
    shutil.rmtree(clone / "generated")
    project.src = clone
    app = build(make_app, clone)
    assert warnings(app) == []
    assert project.executed() == []
    assert {name: project.text(name) for name in ("alpha", "beta", "gamma")} == first
    # the artefact came back from the cache, and the download link works
    assert (clone / "generated" / "alpha.csv").read_text() == "x,y\n1,2\n"
    link = project.page("alpha").find("a", class_="download")
    assert link is not None
    assert (project.html / link["href"]).read_text() == "x,y\n1,2\n"


def test_parallel_build_executes_once_and_matches_serial(make_app, project, tmp_path):
    serial = tmp_path / "serial"
    shutil.copytree(project.src, serial)
    build(make_app, serial)
    assert project.executed() == ["alpha", "beta", "gamma"]

    app = build(make_app, project.src, parallel=2)
    assert warnings(app) == []
    assert project.executed() == ["alpha", "beta", "gamma"]
    for name in ("alpha", "beta", "gamma", "index"):
        # execution seconds (in the index's table) differ from run to run
        ours, theirs = (
            re.sub(r"\d+\.\d+", "N", project.text(name, base))
            for base in (project.html, serial / "_build" / "html")
        )
        assert ours == theirs


def test_report_lists_every_notebook(make_app, project):
    build(make_app, project.src)
    project.executed()
    data = json.loads((project.html / "nbcache-report.json").read_text())
    rows = {r["docname"]: r for r in data["notebooks"]}
    assert set(rows) == {"alpha", "beta", "gamma"}
    assert rows["gamma"]["source"] == "gamma.pct.py"
    assert rows["alpha"]["seconds"] > 0
    assert rows["alpha"]["record_id"] is not None
    # the execution table on the index page shows the same
    table = project.page("index").find("table", class_="nbcache-execution-table")
    assert table is not None
    cells = [td.get_text(strip=True) for td in table.find_all("td")]
    assert "beta.md" in cells and cells.count("executed") == 3

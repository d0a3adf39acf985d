"""Execution modes, per-notebook overrides, kernel aliases, and MIME choice per builder."""

from __future__ import annotations

import pytest
from buildutil import build, copy_project, warnings


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "build-modes", tmp_path, monkeypatch)


CACHE = {"nbcache_execution_mode": "cache"}


def test_cache_mode_executes_notebooks_with_stored_outputs(make_app, project):
    app = build(make_app, project.src, confoverrides=CACHE)
    assert warnings(app) == []
    # nbsphinx's `execute: never` keeps "never" from running; the alias finds python3
    assert project.executed() == ["fresh", "rich", "stored"]
    assert "computed now" in project.text("stored")
    assert "fresh output" in project.text("fresh")
    assert project.report()["never"]["status"] == "off"
    # our own notebook metadata: nbcache: {execution_mode: off}
    assert project.report()["metaoff"]["status"] == "off"
    assert "metaoff stored" in project.text("metaoff")


def test_off_mode_renders_stored_outputs(make_app, project):
    build(make_app, project.src, confoverrides={"nbcache_execution_mode": "off"})
    assert project.executed() == []
    assert "stored in the file" in project.text("stored")
    assert {r["status"] for r in project.report().values()} == {"off"}


def test_auto_mode_executes_only_notebooks_without_outputs(make_app, project):
    # auto is the default (tests/test_nbsphinx_auto.py); set here as a notebook could not
    build(make_app, project.src, confoverrides={"nbcache_execution_mode": "auto"})
    assert project.executed() == ["fresh", "rich"]
    assert "stored in the file" in project.text("stored")


def test_force_mode_executes_every_build(make_app, project):
    overrides = {"nbcache_execution_mode": "force"}
    build(make_app, project.src, confoverrides=overrides)
    assert project.executed() == ["fresh", "rich", "stored"]
    build(make_app, project.src, confoverrides=overrides)
    # per-notebook "off" (metaoff) and nbsphinx "never" beat the global force
    assert project.executed() == ["fresh", "rich", "stored"]


def test_exclude_patterns(make_app, project):
    overrides = {**CACHE, "nbcache_exclude_patterns": ["st*.ipynb"]}
    build(make_app, project.src, confoverrides=overrides)
    assert project.executed() == ["fresh", "rich"]
    assert project.report()["stored"]["status"] == "excluded"
    assert "stored in the file" in project.text("stored")


def test_each_builder_gets_its_mime_type(make_app, project):
    build(make_app, project.src, confoverrides=CACHE)
    assert project.executed() == ["fresh", "rich", "stored"]
    bold = project.page("rich").find("b", class_="rich-html")
    assert bold is not None and bold.get_text() == "bold html"

    # latex and text reuse the cache: nothing executes again
    latex = build(make_app, project.src, buildername="latex", confoverrides=CACHE)
    assert project.executed() == []
    tex = next((latex.outdir).glob("*.tex")).read_text()
    assert r"\alpha + \beta" in tex
    assert "bold html" not in tex

    text = build(make_app, project.src, buildername="text", confoverrides=CACHE)
    assert project.executed() == []
    page = (text.outdir / "rich.txt").read_text()
    assert "plain rich repr" in page
    assert "bold html" not in page and r"$\alpha + \beta$" not in page

"""The default mode, ``auto``: only notebooks without stored outputs execute, through the cache."""

from __future__ import annotations

import re

import pytest
from buildutil import ANSI, build, copy_project, warnings


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "nbsphinx-auto", tmp_path, monkeypatch)


def test_auto_default_executes_only_notebooks_without_outputs(make_app, project):
    app = build(make_app, project.src)
    assert app.config.nbcache_execution_mode == "auto"
    assert warnings(app) == []
    assert project.executed() == ["fresh"]
    assert "freshoutput" in project.text("fresh")
    # the author's outputs, not a run's
    assert "stored by the author" in project.text("stored")
    assert "freshoutput" not in project.text("stored")
    log = ANSI.sub("", app.status.getvalue())
    assert re.search(
        r"nbcache: 1 notebook shown with the outputs stored in its file "
        r"\(execution mode auto\): stored\.ipynb",
        log,
    ), log
    # each notebook beside its page, with its outputs, as nbsphinx copies it (links go there)
    assert "freshoutput" in (project.html / "fresh.ipynb").read_text()
    assert "stored by the author" in (project.html / "stored.ipynb").read_text()
    report = project.report()
    assert report["fresh"]["status"] == "executed"
    assert report["stored"]["status"] == "off"

    # the executed one is served from the cache from now on
    (project.src / "fresh.ipynb").touch()
    build(make_app, project.src)
    assert project.executed() == []
    assert "freshoutput" in project.text("fresh")
    assert project.report()["fresh"]["status"] == "cached"

"""One project of every notebook format builds the same on each supported Sphinx.

CI runs this file on the newest Sphinx pip picks and again on the oldest supported one
(``.ci/run``; ``tox -e py3-sphinx73,py3-sphinx8,py3-sphinx9`` runs the whole suite on each).
"""

from __future__ import annotations

import pytest
import sphinx
from buildutil import build, copy_project, warnings


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "build-versions", tmp_path, monkeypatch)


def test_every_format_builds_then_noop_rebuild_executes_nothing(make_app, project):
    app = build(make_app, project.src)
    # the failing percent script: one warning, located at its source and cell
    found = warnings(app)
    assert len(found) == 1, (sphinx.__version__, found)
    # the location names the cell (counted from 1, markdown included), as for .ipynb
    assert "gamma.pct.py:4: WARNING: notebook execution failed: cell 4: ZeroDivision" in found[0]
    assert project.executed() == ["alpha", "beta", "gamma"]
    assert "alpha says 42" in project.text("alpha")
    assert "beta says 1024" in project.text("beta")
    gamma = project.text("gamma")
    assert "gamma before the failure" in gamma
    assert "ZeroDivisionError" in gamma
    # outputs went through the post-transforms (the builder's MIME choice, ANSI blocks)
    outputs = project.page("alpha").find_all(class_="nbcache-cell-output")
    assert outputs, project.page("alpha")
    status = {d: r["status"] for d, r in project.report().items()}
    assert status == {"alpha": "executed", "beta": "executed", "gamma": "failed"}

    app = build(make_app, project.src)
    assert project.executed() == []
    assert [w for w in warnings(app) if "gamma" not in w] == []
    assert "alpha says 42" in project.text("alpha")

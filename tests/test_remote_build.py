"""A build with ``nbcache_remote``: clone B takes what clone A executed from a shared remote
(issue 13). The remote is a real folder through fsspec's ``file://``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from buildutil import build, copy_project, warnings

from sphinx_nbcache.engine import RemoteStore


@pytest.fixture
def clones(rootdir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    first = copy_project(rootdir, "build-basic", tmp_path / "a", monkeypatch)
    second = tmp_path / "b" / "src"
    shutil.copytree(first.src, second)
    remote = tmp_path / "remote"
    remote.mkdir()
    return first, second, remote


def test_a_fresh_clone_builds_from_the_remote_and_executes_nothing(clones, make_app):
    first, second_src, remote = clones
    overrides = {"nbcache_remote": remote.as_uri()}
    app = build(make_app, first.src, confoverrides=overrides)
    assert warnings(app) == []
    assert first.executed() == ["alpha", "beta", "gamma"]
    assert len(RemoteStore(remote.as_uri()).list()) == 3  # uploaded
    # clone B: no .nbcache, no artefacts, the same remote
    app = build(make_app, second_src, confoverrides=overrides)
    assert warnings(app) == []
    assert first.executed() == []  # the kernels log to the same file
    page = (second_src / "_build/html/alpha.html").read_text()
    assert "alpha says 42" in page
    assert (second_src / "generated/alpha.csv").read_text() == "x,y\n1,2\n"  # artefact restored
    import json

    rows = json.loads((second_src / "_build/html/nbcache-report.json").read_text())["notebooks"]
    reasons = {row["docname"]: row["reason"] for row in rows}
    assert reasons["alpha"] == f"from the remote cache {remote.as_uri()}"
    assert {row["status"] for row in rows} == {"cached"}


def test_a_read_only_remote_uploads_nothing_and_a_dead_one_is_one_warning(clones, make_app):
    first, _second, remote = clones
    build(
        make_app,
        first.src,
        confoverrides={"nbcache_remote": remote.as_uri(), "nbcache_remote_mode": "read"},
    )
    assert first.executed() == ["alpha", "beta", "gamma"]
    assert RemoteStore(remote.as_uri()).list() == []
    # an unknown protocol stands for a remote that cannot be used: the build goes on
    (first.src / "alpha.ipynb").write_text(
        (first.src / "alpha.ipynb").read_text().replace("6 * 7", "6 * 8")
    )
    app = build(make_app, first.src, confoverrides={"nbcache_remote": "nosuchfs://bucket/x"})
    found = [w for w in warnings(app) if "nbcache.remote" in w]
    assert len(found) == 1 and "nosuchfs://bucket/x" in found[0], warnings(app)
    assert first.executed() == ["alpha"]

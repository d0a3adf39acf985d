"""``nbcache_executor = "dask"`` in a real Sphinx build: the same pages and records as a
local build, on a real ``distributed.LocalCluster`` (issue 12)."""

from __future__ import annotations

import pytest
from buildutil import build, copy_project, warnings
from sphinx.errors import SphinxError

from sphinx_nbcache.engine import NotebookCache

pytest.importorskip("distributed")


def test_a_build_on_a_local_dask_cluster_renders_and_caches_as_a_local_one(
    make_app, rootdir, tmp_path, monkeypatch
):
    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    app = build(
        make_app, project.src, confoverrides={"nbcache_executor": "dask", "nbcache_jobs": 2}
    )
    assert warnings(app) == []
    assert project.executed() == ["alpha", "beta", "gamma"]
    assert "alpha says 42" in project.text("alpha")
    # the artefact came back from the worker's copy of the folder into the project
    assert (project.src / "generated/alpha.csv").read_text() == "x,y\n1,2\n"
    with NotebookCache(project.src / ".nbcache") as cache:
        records = {r.uri: r for r in cache.list_records()}
    assert sorted(records) == ["alpha.ipynb", "beta.md", "gamma.pct.py"]
    assert records["alpha.ipynb"].artefacts == ("generated/alpha.csv",)
    # and a second build, local, takes them from the cache
    build(make_app, project.src)
    assert project.executed() == []


def test_an_executor_that_cannot_be_used_stops_the_build_saying_so(
    make_app, rootdir, tmp_path, monkeypatch
):
    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    with pytest.raises(SphinxError) as info:
        build(make_app, project.src, confoverrides={"nbcache_executor": "tcp://127.0.0.1:9"})
    assert "tcp://127.0.0.1:9" in str(info.value)
    assert type(info.value).category == "nbcache: executor error"  # not a cache error
    assert project.executed() == []

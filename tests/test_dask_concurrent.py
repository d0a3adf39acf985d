"""Two builds on one cache, both executing on one Dask cluster: each notebook still executes
once (the per-notebook locks are the runner's, whatever the backend; issue 12)."""

from __future__ import annotations

from buildutil import copy_project
from dask_project import dask_processes
from test_build_concurrent import finish, start_builds


def test_two_builds_on_one_cluster_execute_each_notebook_once(rootdir, tmp_path, monkeypatch):
    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    with dask_processes(2) as cluster:
        finish(start_builds(project, tmp_path, "-D", f"nbcache_executor={cluster.address}"))
    assert project.executed() == ["alpha", "beta", "gamma"]  # not twice each
    reports = [project.report(tmp_path / f"html{n}") for n in (1, 2)]
    for docname in ("alpha", "beta", "gamma"):
        assert sorted(r[docname]["status"] for r in reports) == ["cached", "executed"]
    # each ran on a worker of the cluster, not in either build's process
    executed = [r[d] for r in reports for d in r if r[d]["status"] == "executed"]
    assert {row["where"].rsplit(":", 1)[0] for row in executed} == {"tcp://127.0.0.1"}
    assert all(row["where"] != cluster.address for row in executed)
    for n in (1, 2):
        assert "alpha says 42" in project.text("alpha", tmp_path / f"html{n}")
        assert "gamma says 10" in project.text("gamma", tmp_path / f"html{n}")

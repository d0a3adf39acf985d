"""The cluster's faults, told apart from the notebooks' own (issue 12).

A scheduler that cannot be reached is one error naming it, and no notebook is marked
failed. A worker killed while it runs a notebook: the scheduler runs the notebook once more
elsewhere; killed again, the notebook fails as the machine's fault (``WorkerLostError``).
The workers are killed for real: the notebook's kernel kills its own worker process.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_project import Project, dask_backend, dask_processes, free_port, local_cluster

from sphinx_nbcache.engine import ENVIRONMENT_FAULTS, LocalBackend, Status
from sphinx_nbcache.engine.backends import backend_for
from sphinx_nbcache.engine.dask_backend import (
    SHIP_LIMIT,
    WORKER_ERROR,
    WORKER_LOST,
    ClusterError,
    ClusterUnavailableError,
    DaskBackend,
    scheduler_at,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:distributed.*")

#: the worker process running the kernel: its parent, or, for a forked kernel, the parent of
#: the warm template it was forked from
WORKER = (
    "import os\n"
    "def worker():\n"
    "    pid = os.getppid()\n"
    "    if b'forkserver' in open(f'/proc/{{pid}}/cmdline', 'rb').read():\n"
    "        pid = int(open(f'/proc/{{pid}}/stat').read().rsplit(')', 1)[1].split()[1])\n"
    "    return pid\n"
)
#: the kernel kills the worker process running it, the first time only
KILL_ONCE = WORKER + (
    "import pathlib\nmark = pathlib.Path({mark!r})\nif not mark.exists():\n"
    "    mark.write_text('killed')\n    os.kill(worker(), 9)\n"
    "import time\ntime.sleep(1)\nprint('survived')"
)
KILL_ALWAYS = WORKER.replace("{{", "{").replace("}}", "}") + (
    "import time\nos.kill(worker(), 9)\ntime.sleep(10)"
)


def test_an_unreachable_scheduler_is_one_error_naming_it_and_no_notebook_fails(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    project.notebook("one", "print(1)")
    address = f"tcp://127.0.0.1:{free_port()}"
    backend = DaskBackend(scheduler_at(address, timeout=2), where=address)
    with pytest.raises(ClusterUnavailableError) as caught:
        project.run(backend, "one")
    assert str(caught.value).startswith(f"cannot reach the Dask scheduler at {address} (")
    assert "No notebook was marked failed" in str(caught.value)
    assert project.cache.list_failures() == [] and project.cache.list_records() == []
    assert project.executed() == []
    # its lock was let go: the next run (here, a local one) executes it
    [finished] = project.run(LocalBackend(1), "one")
    assert finished.outcome.status is Status.EXECUTED


def test_a_worker_killed_twice_under_a_notebook_fails_it_as_the_machine_s_fault(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    project.notebook("doomed", KILL_ALWAYS)
    project.notebook("fine", "print('fine')")
    with local_cluster(2) as client:
        told = {f.item.name: f for f in project.run(dask_backend(client), "doomed", "fine")}
    assert told["fine"].outcome.status is Status.EXECUTED
    doomed = told["doomed"].outcome
    assert doomed.status is Status.FAILED
    assert doomed.error.startswith("doomed.ipynb: the Dask worker running it died, each time")
    assert project.executed().count("doomed") == 2  # run once more, then given up
    [failure] = project.cache.list_failures()
    assert failure.data["ename"] == WORKER_LOST


@pytest.mark.parametrize("ename", [WORKER_LOST, WORKER_ERROR, SHIP_LIMIT])
def test_a_fault_of_the_cluster_is_the_machine_s_tried_again_next_build(ename: str) -> None:
    assert ename in ENVIRONMENT_FAULTS


@pytest.fixture
def scheduler() -> Iterator[str]:
    """A ``dask scheduler`` and two ``dask worker`` processes; the scheduler's address."""
    with dask_processes(2) as processes:
        yield processes.address


def test_a_worker_killed_under_a_notebook_on_a_remote_scheduler_runs_it_again_elsewhere(
    tmp_path: Path, scheduler: str
) -> None:
    project = Project(tmp_path)
    project.notebook("victim", KILL_ONCE.format(mark=str(tmp_path / "killed")))
    project.notebook("bystander", "print('bystander')")
    backend = backend_for(scheduler, shared_filesystem=False)
    told = {f.item.name: f for f in project.run(backend, "victim", "bystander")}

    assert (tmp_path / "killed").exists()
    assert project.executed() == ["bystander", "victim", "victim"]
    victim = told["victim"]
    assert victim.outcome.status is Status.EXECUTED
    assert victim.outcome.where.startswith("tcp://")
    assert victim.result.nb.cells[2].outputs[0]["text"] == "survived\n"
    assert {r.uri for r in project.cache.list_records()} == {"victim.ipynb", "bystander.ipynb"}
    assert project.cache.list_failures() == []


# -- nbcache_executor's values ---------------------------------------------------------------
def test_backend_for_reads_each_kind_of_executor() -> None:
    assert isinstance(backend_for("local", jobs=3), LocalBackend)
    assert backend_for("local", jobs=3).max_jobs == 3
    dask = backend_for("dask", jobs=2)
    assert isinstance(dask, DaskBackend) and not dask.shared_filesystem
    remote = backend_for("tcp://scheduler:8786", shared_filesystem=True, ship_limit=10)
    assert isinstance(remote, DaskBackend)
    assert (remote.where, remote.shared_filesystem, remote.ship_limit) == (
        "tcp://scheduler:8786",
        True,
        10,
    )
    assert isinstance(backend_for(lambda: None), DaskBackend)


@pytest.mark.parametrize(
    ("executor", "options", "message"),
    [
        (42, {}, "nbcache_executor 42 names no executor"),
        ("  ", {}, "nbcache_executor is empty"),
        ("dask", {"jobs": 0}, "jobs must be a whole number of at least 1, not 0"),
        ("dask", {"ship_limit": -1}, "nbcache_ship_limit must be a number of bytes, not -1"),
    ],
)
def test_backend_for_refuses_a_bad_setting_saying_what_it_takes(
    executor: object, options: dict, message: str
) -> None:
    with pytest.raises(ClusterError) as caught:
        backend_for(executor, **options)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


def test_dask_without_distributed_installed_is_one_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    with pytest.raises(ClusterError) as caught:
        backend_for("dask")
    assert str(caught.value) == (
        "nbcache_executor 'dask' runs notebooks on Dask, which is not installed: "
        'pip install "sphinx-nbcache[dask]" (or distributed>=2024.1)'
    )
    assert isinstance(backend_for("local"), LocalBackend)  # the default needs no Dask


def test_a_factory_that_returns_no_client_is_a_clear_error(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.notebook("one", "print(1)")
    with pytest.raises(ClusterError, match=r"returned NoneType, not a distributed\.Client"):
        project.run(backend_for(lambda: None), "one")
    assert project.cache.list_failures() == []

"""Notebooks executed on a real Dask ``LocalCluster`` (issue 12).

Two worker processes with one thread each run the notebooks through the engine's runner on
a real cache; the records must be those a local run makes of the same notebooks: outputs,
artefacts, the files the run read and the packages it imported. Each notebook runs once, and
its outcome says which worker ran it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from dask_project import WORKER_PID, Project, dask_backend, local_cluster

from sphinx_nbcache.engine import LocalBackend, Status, record_where

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:distributed.*")

READS = "import helper\nprint(helper.greeting(open('data/input.txt').read()))"
WRITES = "from pathlib import Path\nPath('out.txt').write_text('written on ' + 'a worker')"
SUBPROCESS = "import subprocess\nsubprocess.run(['sh', '-c', 'echo from-sh > sh.txt'])"


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as client:
        yield client


def _project(root: Path) -> Project:
    project = Project(root)
    (project.src / "data").mkdir()
    (project.src / "data/input.txt").write_text("world")
    (project.src / "helper.py").write_text("def greeting(name):\n    return 'hello ' + name\n")
    project.notebook("reader", READS, "print(6 * 7)")
    project.notebook("writer", WRITES)
    project.notebook("shell", SUBPROCESS)
    project.notebook("plain", "print('plain')")
    return project


@pytest.mark.parametrize("shared", [True, False], ids=["shared-filesystem", "shipped"])
def test_a_dask_run_stores_what_a_local_run_stores(tmp_path: Path, client, shared: bool) -> None:
    local = _project(tmp_path / "local")
    local.run(LocalBackend(2), "reader", "writer", "plain")
    assert local.executed() == ["plain", "reader", "writer"]

    remote = _project(tmp_path / "dask")
    told = remote.run(dask_backend(client, shared_filesystem=shared), "reader", "writer", "plain")

    assert remote.executed() == ["plain", "reader", "writer"]  # each once
    assert {f.outcome.status for f in told} == {Status.EXECUTED}
    workers = set(client.scheduler_info()["workers"])
    assert {f.outcome.where for f in told} <= workers
    expected = local.records()
    assert remote.records() == expected
    assert expected["reader.ipynb"]["files"] == {
        "data/input.txt": pytest.approx(expected["reader.ipynb"]["files"]["data/input.txt"]),
        "helper.py": pytest.approx(expected["reader.ipynb"]["files"]["helper.py"]),
    }
    assert expected["writer.ipynb"]["artefacts"] == {"out.txt": b"written on a worker"}
    assert expected["reader.ipynb"]["outputs"][1] == [
        {"output_type": "stream", "name": "stdout", "text": "hello world\n"}
    ]


def test_each_outcome_names_the_worker_that_ran_its_notebook(tmp_path: Path, client) -> None:
    project = Project(tmp_path)
    names = [f"nb{i}" for i in range(4)]
    for name in names:
        project.notebook(name, WORKER_PID)
    told = project.run(dask_backend(client), *names)

    pids = client.run(os.getpid)  # worker address -> its process
    address_of = {pid: address for address, pid in pids.items()}
    ran = {f.item.name: int(f.result.nb.cells[2].outputs[0]["text"]) for f in told}
    assert {f.item.name: f.outcome.where for f in told} == {
        name: address_of[pid] for name, pid in ran.items()
    }
    assert set(ran.values()) <= set(pids.values())
    # the records say so too (what `nbcache status` shows)
    where = {e.uri: record_where(e) for e in project.cache.list_records()}
    assert where == {f"{name}.ipynb": address_of[pid] for name, pid in ran.items()}


def test_a_shipped_run_leaves_the_project_folder_as_it_was(tmp_path: Path, client) -> None:
    project = _project(tmp_path)
    before = sorted(p.relative_to(project.src) for p in project.src.rglob("*"))
    project.run(dask_backend(client), "writer", "shell")
    after = sorted(
        p.relative_to(project.src) for p in project.src.rglob("*") if ".nbcache" not in p.parts
    )
    assert after == before  # out.txt and sh.txt are in the record, not written here
    records = project.records()
    assert records["writer.ipynb"]["artefacts"] == {"out.txt": b"written on a worker"}
    # each in a folder of its own: a subprocess's file is told apart too
    assert records["shell.ipynb"]["artefacts"] == {"sh.txt": b"from-sh\n"}


def test_in_place_a_file_no_probe_saw_written_in_a_shared_folder_is_nobody_s(
    tmp_path: Path, client
) -> None:
    project = _project(tmp_path)
    told = project.run(dask_backend(client, shared_filesystem=True), "shell", "plain")
    records = project.records()
    assert records["shell.ipynb"]["artefacts"] == records["plain.ipynb"]["artefacts"] == {}
    [shell] = [f for f in told if f.item.name == "shell"]
    assert any("'sh.txt' changed while other notebooks" in w for w in shell.result.warnings)


def test_a_notebook_whose_folder_is_past_the_ship_limit_fails_naming_its_largest_files(
    tmp_path: Path, client
) -> None:
    project = _project(tmp_path)
    (project.src / "data/big.bin").write_bytes(b"\0" * 5000)
    (project.src / "data/medium.bin").write_bytes(b"\0" * 3000)
    told = project.run(dask_backend(client, ship_limit=4000), "plain")

    assert project.executed() == []
    [finished] = told
    assert finished.outcome.status is Status.FAILED
    assert "more than the ship limit of 4.0 kB (nbcache_ship_limit)" in finished.outcome.error
    assert "the largest: data/big.bin (5.0 kB), data/medium.bin (3.0 kB)" in (
        finished.outcome.error
    )
    [failure] = project.cache.list_failures()
    assert failure.data["ename"] == "ShipLimitError"


def test_a_notebook_reads_a_shipped_copy_of_its_folder_in_shipping_mode(
    tmp_path: Path, client
) -> None:
    project = _project(tmp_path)
    project.notebook("where", "import os\nprint(os.getcwd())")
    [finished] = project.run(dask_backend(client), "where")
    ran_in = finished.result.nb.cells[2].outputs[0]["text"].strip()
    assert Path(ran_in) != project.src.resolve()
    assert not Path(ran_in).exists()  # the worker's copy is removed afterwards
    [shared] = project.run(dask_backend(client, shared_filesystem=True), "where")
    assert shared.result.nb.cells[2].outputs[0]["text"].strip() == str(project.src)


def test_a_cell_error_on_a_worker_is_the_notebook_s_own_failure(tmp_path: Path, client) -> None:
    project = _project(tmp_path)
    project.notebook("broken", "1 / 0")
    [finished] = project.run(dask_backend(client), "broken")
    assert finished.outcome.status is Status.FAILED
    assert finished.outcome.error == "cell 3: ZeroDivisionError: division by zero"
    [failure] = project.cache.list_failures()
    assert failure.data["ename"] == "ZeroDivisionError"
    assert project.executed() == ["broken"]


def test_a_cell_timeout_is_enforced_on_the_worker(tmp_path: Path, client) -> None:
    project = _project(tmp_path)
    project.notebook("slow", "import time\ntime.sleep(30)")
    [finished] = project.run(dask_backend(client), "slow", timeout=2)
    assert finished.outcome.status is Status.FAILED
    assert finished.outcome.error.startswith("cell 3: the cell timed out after 2 s")


def test_a_kernel_missing_on_the_worker_is_the_machine_s_fault(tmp_path: Path, client) -> None:
    project = _project(tmp_path)
    [finished] = project.run(dask_backend(client), "plain", kernel_name="no-such-kernel")
    assert "kernel 'no-such-kernel' is not installed" in finished.outcome.error
    [failure] = project.cache.list_failures()
    assert failure.data["ename"] == "NoSuchKernel"  # in ENVIRONMENT_FAULTS: tried again


def test_a_copy_of_the_folder_omits_build_cache_vcs_and_hidden_files(tmp_path: Path) -> None:
    from sphinx_nbcache.engine.shipping import pack

    for rel in ["a.ipynb", "sub/data.csv", "_build/html/x", ".git/HEAD", ".hidden/y", ".env"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    (tmp_path / "out").mkdir()
    (tmp_path / "out/z").write_text("z")
    shutil.copy(tmp_path / "a.ipynb", tmp_path / "out/a.ipynb")
    parcel = pack(tmp_path, name="a.ipynb", exclude=[tmp_path / "out"])
    assert sorted(parcel.files) == ["a.ipynb", "sub/data.csv"]
    assert parcel.files["sub/data.csv"] == b"sub/data.csv"


def test_a_client_factory_is_called_once_for_every_run_of_the_backend(
    tmp_path: Path, client
) -> None:
    from sphinx_nbcache.engine.backends import backend_for

    calls: list[int] = []

    def factory():
        calls.append(1)
        return client

    backend = backend_for(factory)
    project = _project(tmp_path)
    assert calls == []  # nothing is asked of the cluster before a notebook needs it
    project.run(backend, "plain")
    project.run(backend, "plain")
    assert calls == [1]
    assert project.executed() == ["plain", "plain"]

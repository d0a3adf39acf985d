"""A tiny project, a small real ``LocalCluster`` and the runner, for the Dask tests.

Each notebook's first cell appends its name to a log file, so the kernels count their own
runs. The cluster has two worker processes with one thread each (CI has two cores).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from buildutil import counted_notebook, executed_since

from sphinx_nbcache.engine import (
    ExecutionOptions,
    Finished,
    LocalBackend,
    NotebookCache,
    RunItem,
    Runner,
)
from sphinx_nbcache.engine.dask_backend import DaskBackend, new_local_cluster

#: a cell printing the pid of the worker process running its kernel: the kernel's parent, or
#: for a forked kernel the parent of the warm template it was forked from
WORKER_PID = (
    "import os\n"
    "pid = os.getppid()\n"
    "if b'forkserver' in open(f'/proc/{pid}/cmdline', 'rb').read():\n"
    "    pid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])\n"
    "print(pid)"
)


@contextmanager
def local_cluster(workers: int = 2) -> Iterator[Any]:
    """A real ``LocalCluster`` (processes) and its client, as ``nbcache_executor = "dask"``
    starts one (a worker's death reschedules a task once)."""
    import logging

    from distributed import Client

    cluster = new_local_cluster(workers, silence=logging.CRITICAL)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def dask_backend(client: Any, **kwargs: Any) -> DaskBackend:
    """A backend on ``client`` (kept open across runs: one cluster per test module)."""
    where = str(client.scheduler.address)
    return DaskBackend(lambda: (client, lambda: None), where=where, **kwargs)


class Project:
    """A folder of notebooks with its cache and a log of the runs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.src = root / "src"
        self.src.mkdir(parents=True)
        self.log = root / "executed.log"
        self.log.write_text("")
        self.cache = NotebookCache(self.src / ".nbcache")

    def notebook(self, name: str, *cells: str) -> Path:
        return counted_notebook(self.src, name, *cells)

    def executed(self) -> list[str]:
        return executed_since(self.log)

    def run(self, backend: Any, *names: str, **options: Any) -> list[Finished]:
        """Run the notebooks ``names`` through the engine's runner; what it told, in order."""
        env = {"NBCACHE_TEST_LOG": str(self.log)}
        items = [
            RunItem(
                name=name,
                path=self.src / f"{name}.ipynb",
                nb=nbformat.read(self.src / f"{name}.ipynb", as_version=4),
                options=ExecutionOptions(env=env, **options),
                source=f"{name}.ipynb",
            )
            for name in names
        ]
        runner = Runner(
            self.cache,
            backend or LocalBackend(2),
            root=self.src,
            exclude=[self.src / ".nbcache", self.src / "_build"],
            source_suffixes=(".ipynb",),
        )
        told: list[Finished] = []
        runner.run(items, lambda finished, done, total: told.append(finished))
        return told

    def records(self) -> dict[str, dict[str, Any]]:
        """What the cache holds per notebook: outputs, artefacts (bytes), dependencies."""
        out = {}
        for entry in self.cache.list_records():
            nb = self.cache.load_notebook(entry)
            out[entry.uri] = {
                "outputs": [
                    [_plain(o) for o in cell.get("outputs", [])]
                    for cell in nb.cells
                    if cell.cell_type == "code"
                ],
                "artefacts": {
                    rel: self.cache.artefact_path(entry, rel).read_bytes()
                    for rel in entry.artefacts
                },
                "files": entry.dependencies.get("files"),
                "packages": entry.dependencies.get("packages"),
            }
        return out


def _plain(output: Any) -> dict[str, Any]:
    """An output without what differs between two runs (execution counts)."""
    return {k: v for k, v in output.items() if k not in ("execution_count", "metadata")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DaskProcesses:
    """A ``dask scheduler`` and ``dask worker`` processes, each in a session of its own (a
    signal to the test's process group reaches none of them). The scheduler runs a task once
    more when its worker dies."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.dask = str(Path(sys.executable).with_name("dask"))

    def _start(self, *args: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
        return subprocess.Popen(
            [self.dask, *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def start(self, workers: int = 2) -> str:
        """Start the scheduler (at :attr:`port`) and ``workers`` workers; its address."""
        from distributed import Client

        self.scheduler = self._start(
            "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"
        )
        for _ in range(workers):
            self.workers.append(self._start("worker", self.address, "--nthreads", "1"))
        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)
        return self.address

    def kill_scheduler(self) -> None:
        """The scheduler dies at once (SIGKILL), as on a lost machine."""
        assert self.scheduler is not None
        os.killpg(self.scheduler.pid, signal.SIGKILL)
        self.scheduler.wait()
        self.scheduler = None

    def stop(self) -> None:
        processes = [*self.workers, *([self.scheduler] if self.scheduler else [])]
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.workers, self.scheduler = [], None


@contextmanager
def dask_processes(workers: int = 2) -> Iterator[DaskProcesses]:
    """:class:`DaskProcesses` started, stopped on the way out."""
    processes = DaskProcesses()
    try:
        processes.start(workers)
        yield processes
    finally:
        processes.stop()


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended but not reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition: Any, seconds: float = 60, what: str = "") -> None:
    """Wait for ``condition()`` (a bound on waiting for a real process, not a timing)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what or condition} after {seconds} s")
        time.sleep(0.1)

"""A tiny project, a small real ``LocalCluster`` and the runner, for the Dask tests.

Each notebook's first cell appends its name to a log file, so the kernels count their own
runs. The cluster has two worker processes with one thread each (CI has two cores).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from nbformat import v4

from sphinx_nbcache.engine import (
    ExecutionOptions,
    Finished,
    LocalBackend,
    NotebookCache,
    RunItem,
    Runner,
)
from sphinx_nbcache.engine.dask_backend import DaskBackend, new_local_cluster

SPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
COUNT = "import os\nopen(os.environ['NBCACHE_TEST_LOG'], 'a').write('{name}\\n')"


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
        nb = v4.new_notebook(metadata={"kernelspec": SPEC})
        nb.cells = [v4.new_markdown_cell(f"# {name}"), v4.new_code_cell(COUNT.format(name=name))]
        nb.cells += [v4.new_code_cell(code) for code in cells]
        path = self.src / f"{name}.ipynb"
        nbformat.write(nb, path)
        return path

    def executed(self) -> list[str]:
        names = sorted(self.log.read_text().split())
        self.log.write_text("")
        return names

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

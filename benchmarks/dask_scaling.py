"""Issue 12: notebooks on a Dask ``LocalCluster`` of 1, 2, 4... single-thread workers.

Usage::

    python benchmarks/dask_scaling.py [--notebooks 64] [--sleep 2] [--cells 1]
        [--workers 1,2,4,8] [--overhead 8] [--shared-filesystem]

(a) A generated corpus of ``--notebooks`` notebooks whose ``--cells`` cells each wait on I/O
(``time.sleep``) for ``--sleep`` seconds, executed through the engine's runner on a fresh
cache by a ``LocalCluster`` of each worker count: wall time and speed-up against one worker.
The cluster is started before the clock starts (its start is reported on its own).
(b) The per-task overhead: ``--overhead`` notebooks of one ``pass`` cell on one worker, against
the local backend with one job; the difference per notebook is what a Dask task adds (the
shipping, the task's round trip, the result's transfer).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat import v4

from sphinx_nbcache.engine import LocalBackend, NotebookCache, RunItem, Runner
from sphinx_nbcache.engine.dask_backend import DaskBackend

SPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def corpus(folder: Path, count: int, cells: list[str]) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        nb = v4.new_notebook(metadata={"kernelspec": SPEC})
        nb.cells = [v4.new_markdown_cell(f"# notebook {i}")]
        nb.cells += [v4.new_code_cell(code.replace("{i}", str(i))) for code in cells]
        path = folder / f"nb{i:03d}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def run(backend: object, paths: list[Path], cache: Path) -> float:
    """Seconds the runner takes to execute ``paths`` into a fresh cache at ``cache``."""
    store = NotebookCache(cache)
    items = [RunItem(name=p.stem, path=p, nb=nbformat.read(p, as_version=4)) for p in paths]
    runner = Runner(store, backend, root=paths[0].parent, exclude=[cache])  # type: ignore[arg-type]
    failed: list[str] = []
    start = time.perf_counter()
    runner.run(items, lambda f, done, total: f.outcome.ok or failed.append(f.outcome.error))
    seconds = time.perf_counter() - start
    if failed:
        raise SystemExit(f"{len(failed)} notebooks failed, e.g. {failed[0]}")
    return seconds


def on_cluster(workers: int, paths: list[Path], cache: Path, shared: bool) -> tuple[float, float]:
    """(cluster start, run) seconds on a new ``LocalCluster`` of ``workers`` workers."""
    from distributed import Client

    from sphinx_nbcache.engine.dask_backend import new_local_cluster

    start = time.perf_counter()
    cluster = new_local_cluster(workers)
    client = Client(cluster)
    client.wait_for_workers(workers)
    started = time.perf_counter() - start
    try:
        backend = DaskBackend(
            lambda: (client, lambda: None), where="LocalCluster", shared_filesystem=shared
        )
        return started, run(backend, paths, cache)
    finally:
        client.close()
        cluster.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=64)
    parser.add_argument("--sleep", type=float, default=2.0)
    parser.add_argument("--cells", type=int, default=1)
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--overhead", type=int, default=8, help="notebooks for (b); 0: skip")
    parser.add_argument("--shared-filesystem", action="store_true")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sleepy = corpus(
            root / "sleep", args.notebooks, [f"import time\ntime.sleep({args.sleep})"] * args.cells
        )
        print(
            f"(a) {args.notebooks} notebooks x {args.cells} cell(s) sleeping {args.sleep:g} s, "
            f"{'shared file system' if args.shared_filesystem else 'shipped'}"
        )
        print("workers  cluster start s  run s  speed-up  ideal s")
        base = None
        for workers in counts:
            started, seconds = on_cluster(
                workers, sleepy, root / f"cache-{workers}", args.shared_filesystem
            )
            base = base or seconds
            ideal = args.notebooks * args.cells * args.sleep / workers
            speedup = base / seconds
            print(f"{workers:7d}  {started:15.1f}  {seconds:5.1f}  {speedup:8.2f}  {ideal:7.1f}")
        if args.overhead:
            tiny = corpus(root / "tiny", args.overhead, ["pass"])
            local = run(LocalBackend(1), tiny, root / "cache-local")
            _, dask = on_cluster(1, tiny, root / "cache-dask", args.shared_filesystem)
            print(
                f"(b) {args.overhead} one-cell notebooks, one at a time: local {local:.1f} s, "
                f"Dask (1 worker) {dask:.1f} s: {(dask - local) / args.overhead:+.2f} s per task"
            )


if __name__ == "__main__":
    main()

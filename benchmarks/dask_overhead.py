"""Issue 12 (c): what a Dask task adds to a notebook's run, phase by phase.

Usage::

    python benchmarks/dask_overhead.py [--notebooks 8] [--reps 3] [--profile]

``--notebooks`` one-cell (``pass``) notebooks, one at a time, through the engine's runner on
a fresh cache: with the local backend (one job) and on a ``LocalCluster`` of one worker.
Reported: the median wall time per notebook and the CPU seconds of the build process, its
children and the worker process (``getrusage``), then the phases of one task measured on
the worker (unpacking the parcel, the executor's run split into kernel start and cells,
packing the artefacts) and in the build (packing the parcel, a no-op task's round trip).
``--profile`` adds a cProfile of one task on the worker (the 25 costliest by cumulative time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from dask_scaling import corpus, run

from sphinx_nbcache.engine import LocalBackend
from sphinx_nbcache.engine.dask_backend import DaskBackend, new_local_cluster
from sphinx_nbcache.engine.dask_task import Task, execute_task
from sphinx_nbcache.engine.executor import async_execute_notebook
from sphinx_nbcache.engine.scheduler import Job
from sphinx_nbcache.engine.shipping import artefact_bytes, unpack


def cpu() -> float:
    """CPU seconds of this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def worker_cpu() -> float:
    """CPU seconds of a worker process and its waited-for children (run on the worker)."""
    return cpu()


def phases(task: Task, parcel: Any) -> dict[str, float]:
    """The phases of one task, timed on the worker as :func:`execute_task` runs them."""
    start = time.perf_counter()
    folder = unpack(parcel)
    unpacked = time.perf_counter()
    result = asyncio.run(async_execute_notebook(task.nb, folder, task.options))
    ran = time.perf_counter()
    artefact_bytes(result.artefacts)
    packed = time.perf_counter()
    cells = sum(seconds for _, seconds in result.cell_seconds)
    return {
        "unpack": unpacked - start,
        "run": ran - unpacked,
        "cells": cells,
        "kernel start and probe": ran - unpacked - cells,
        "pack artefacts": packed - ran,
    }


def profiled(task: Task, parcel: Any) -> str:
    """cProfile of one :func:`execute_task` on the worker: the 25 costliest lines."""
    profile = cProfile.Profile()
    profile.enable()
    execute_task(task, parcel)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def local_phases(paths: list[Path]) -> dict[str, float]:
    """The same run in this process (the local backend's kernel start, for comparison)."""
    import nbformat

    nb = nbformat.read(paths[0], as_version=4)
    start = time.perf_counter()
    result = asyncio.run(async_execute_notebook(nb, paths[0].parent))
    ran = time.perf_counter() - start
    cells = sum(seconds for _, seconds in result.cell_seconds)
    return {"run": ran, "cells": cells, "kernel start and probe": ran - cells}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=8)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    from distributed import Client

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = corpus(root / "tiny", args.notebooks, ["pass"])
        local: list[tuple[float, float]] = []
        dask: list[tuple[float, float]] = []
        cluster = new_local_cluster(1)
        client = Client(cluster)
        client.wait_for_workers(1)
        backend = DaskBackend(lambda: (client, lambda: None), where="LocalCluster")
        try:
            for rep in range(args.reps):
                before = cpu()
                seconds = run(LocalBackend(1), paths, root / f"cache-local-{rep}")
                local.append((seconds, cpu() - before))
                before = cpu()
                worker_before = sum(client.run(worker_cpu).values())
                seconds = run(backend, paths, root / f"cache-dask-{rep}")
                worker = sum(client.run(worker_cpu).values()) - worker_before
                dask.append((seconds, cpu() - before + worker))
            n = args.notebooks
            for name, runs in (("local, 1 job", local), ("Dask, 1 worker", dask)):
                wall = statistics.median(w for w, _ in runs) / n
                used = statistics.median(c for _, c in runs) / n
                print(f"{name:15s} per notebook: {wall:.2f} s wall, {used:.2f} CPU-s")
            _phases(client, backend, paths, args.reps)
            print("in the build process:", _fmt(local_phases(paths)))
            if args.profile:
                task, parcel = backend.task_for(_job(paths[0]))
                print(client.submit(profiled, task, parcel, pure=False).result())
        finally:
            client.close()
            cluster.close()


def _job(path: Path) -> Job:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return Job(nb=nb, cwd=path.parent, name=path.name, source_path=path)


def _phases(client: Any, backend: DaskBackend, paths: list[Path], reps: int) -> None:
    found: list[dict[str, float]] = []
    for i in range(reps):
        start = time.perf_counter()
        task, parcel = backend.task_for(_job(paths[i % len(paths)]))
        shipped = time.perf_counter() - start
        start = time.perf_counter()
        client.submit(lambda: None, pure=False).result()
        trip = time.perf_counter() - start
        timed = client.submit(phases, task, parcel, pure=False).result()
        found.append({"pack parcel": shipped, "no-op round trip": trip, **timed})
    median = {key: statistics.median(f[key] for f in found) for key in found[0]}
    print("one task, medians:", _fmt(median))


def _fmt(timings: dict[str, float]) -> str:
    return ", ".join(f"{key} {seconds * 1000:.0f} ms" for key, seconds in timings.items())


if __name__ == "__main__":
    main()

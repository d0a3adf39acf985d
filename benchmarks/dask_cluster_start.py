"""Issue 12 (a), attribution: what starting and closing a build's LocalCluster costs.

Usage::

    python benchmarks/dask_cluster_start.py [--workers 2] [--reps 3]

Starts ``new_local_cluster(workers)`` (what ``nbcache_executor = "dask"`` starts), waits for
its workers, closes it; reports wall seconds to start and the CPU seconds of this process,
its children and the workers (``getrusage``).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time


def cpu(children: bool = True) -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    if children:
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += kids.ru_utime + kids.ru_stime
    return total


def worker_cpu() -> float:
    return cpu(children=False)


def main() -> None:
    from distributed import Client

    from sphinx_nbcache.engine.dask_backend import new_local_cluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    walls, cpus = [], []
    for _ in range(args.reps):
        before, start = cpu(), time.perf_counter()
        cluster = new_local_cluster(args.workers)
        client = Client(cluster)
        client.wait_for_workers(args.workers)
        walls.append(time.perf_counter() - start)
        workers = sum(client.run(worker_cpu).values())
        client.close()
        cluster.close()
        cpus.append(cpu() - before)
        print(
            f"start {walls[-1]:.1f} s wall, workers {workers:.1f} CPU-s, all {cpus[-1]:.1f} CPU-s"
        )
    print(f"median: {statistics.median(walls):.1f} s wall, {statistics.median(cpus):.1f} CPU-s")


if __name__ == "__main__":  # the workers are spawned: they import this module again
    main()

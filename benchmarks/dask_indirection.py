"""Issue 12 (a): the shared corpus built cold with ``nbcache_executor = "local"`` and ``"dask"``.

Usage::

    python benchmarks/dask_indirection.py [-n 24] [--reps 3] [--jobs 2]

Generates the shared benchmark's corpus (``../shared/bench/make_corpus.py``, the same
arguments as ``benchmarks/run_bench.py`` gives it) once, then alternates cold builds
(``.nbcache`` and ``_build`` removed) with each executor, ``--jobs`` notebooks at once locally
and as many single-thread workers of the ``LocalCluster`` the build starts. Reported per
executor: the median wall time and the median CPU seconds of the build with all its
children (kernels, the cluster's processes: ``getrusage(RUSAGE_CHILDREN)``, as
``/usr/bin/time`` counts them), and the difference, the cost of the indirection.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_bench import BENCH, CORPUS_ARGS

EXECUTORS = ("local", "dask")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def make(project: Path, count: int) -> None:
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "make_corpus.py"),
            str(project),
            "-n",
            str(count),
            "--force",
            *CORPUS_ARGS,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def build(project: Path, executor: str, jobs: int) -> tuple[float, float]:
    """(wall, CPU) seconds of one cold build with ``executor``."""
    for folder in (".nbcache", "_build"):
        shutil.rmtree(project / folder, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", "_build/doctrees"]
    command += ["-D", f"nbcache_executor={executor}", "-D", f"nbcache_jobs={jobs}"]
    before = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [*command, ".", "_build/html"], cwd=project, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"the {executor} build failed:\n{done.stdout}{done.stderr}")
    return wall, children_cpu() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=24)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "proj"
        make(project, args.n)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in EXECUTORS}
        for rep in range(args.reps):
            for executor in EXECUTORS if rep % 2 == 0 else EXECUTORS[::-1]:
                wall, cpu = build(project, executor, args.jobs)
                runs[executor].append((wall, cpu))
                print(f"rep {rep} {executor:5s}: {wall:6.1f} s wall {cpu:6.1f} CPU-s", flush=True)
    medians = {
        name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
        for name, r in runs.items()
    }
    for name, (wall, cpu) in medians.items():
        print(f"{name:5s} median: {wall:6.1f} s wall, {cpu:6.1f} CPU-s")
    (lw, lc), (dw, dc) = medians["local"], medians["dask"]
    print(f"dask - local: {dw - lw:+.1f} s wall ({dw / lw - 1:+.0%}), {dc - lc:+.1f} CPU-s")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Cold builds of the bench project at several ``nbcache_jobs``, alternating; stdlib only.

Uses the project and venv that ``benchmarks/run_bench.py`` leaves in ``/tmp/bench-work``
(run it once first), copied to a temporary folder so the bench's own state is untouched::

    python3 benchmarks/jobs_sweep.py --jobs 2,3,4 --reps 3
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

WORK = Path("/tmp/bench-work")
BUILD = ["-q", "-b", "html", "-d", "_build/doctrees", ".", "_build/html"]


def cold_build(sphinx_build: Path, project: Path, jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds (children: the build and its kernels) of one cold build."""
    for name in (".nbcache", "_build"):
        shutil.rmtree(project / name, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [str(sphinx_build), *BUILD, "-D", f"nbcache_jobs={jobs}"],
        cwd=project,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", default="2,3,4", help="comma-separated nbcache_jobs values")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--project", type=Path, default=WORK / "proj" / "nbcache")
    parser.add_argument(
        "--sphinx-build", type=Path, default=WORK / "venvs" / "nbcache" / "bin" / "sphinx-build"
    )
    args = parser.parse_args()
    values = [int(v) for v in args.jobs.split(",")]
    runs: dict[int, list[tuple[float, float]]] = {v: [] for v in values}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(args.project, project)
        for rep in range(args.reps):
            for jobs in values:
                wall, cpu = cold_build(args.sphinx_build, project, jobs)
                runs[jobs].append((wall, cpu))
                print(f"jobs {jobs}, round {rep + 1}: {wall:.2f} s, {cpu:.1f} CPU-s", flush=True)
    for jobs, measured in runs.items():
        wall = statistics.median(w for w, _ in measured)
        cpu = statistics.median(c for _, c in measured)
        print(f"nbcache_jobs={jobs}: median {wall:.2f} s wall, {cpu:.1f} CPU-s")


if __name__ == "__main__":
    main()

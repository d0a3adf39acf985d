#!/usr/bin/env python3
"""Two builds of one project started together on one cold cache: how long, how many runs?

The case of ``make html`` and ``make latexpdf`` (or two CI jobs) on one runner. Each
repetition deletes the cache and the outputs, starts ``--builds`` ``sphinx-build``
processes at once (each with its own output and doctree folders), and reports the wall time
until the last one ends, the notebooks executed, counted by the kernels themselves through
``BENCH_EXEC_LOG`` (the shared bench corpus writes a line per execution), and the builds
that failed, with their last error line::

    python3 benchmarks/concurrent_builds.py /tmp/bench-work/proj/nbcache \\
        --sphinx-build /tmp/bench-work/venvs/nbcache/bin/sphinx-build --reps 2
    python3 benchmarks/concurrent_builds.py /tmp/bench-work/proj/mystnb-cache \
        --sphinx-build /tmp/bench-work/venvs/mystnb/bin/sphinx-build --cache .jupyter_cache
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def one_round(
    project: Path, sphinx_build: str, builds: int, work: Path, cache: str
) -> tuple[float, int, list[str]]:
    shutil.rmtree(project / cache, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    exec_log = work / "executed.log"
    exec_log.write_text("")
    env = {**os.environ, "BENCH_EXEC_LOG": str(exec_log)}
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sphinx_build,
                "-q",
                "-b",
                "html",
                "-d",
                str(work / f"doctrees{n}"),
                str(project),
                str(work / f"html{n}"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(builds)
    ]
    failed = []
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            errors = [line for line in err.splitlines() if "Error" in line]
            failed.append(errors[-1].strip() if errors else f"exit code {proc.returncode}")
    wall = time.perf_counter() - start
    return wall, len(exec_log.read_text().splitlines()), failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, help="a generated bench project (conf.py inside)")
    parser.add_argument("--sphinx-build", default="sphinx-build")
    parser.add_argument("--builds", type=int, default=2)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument(
        "--cache",
        default=".nbcache",
        help="the cache folder in the project, emptied first (.jupyter_cache for the MyST-NB peer)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nbcache-concurrent-"))
    walls, runs = [], []
    for rep in range(args.reps):
        wall, executed, failed = one_round(
            args.project.absolute(), args.sphinx_build, args.builds, work, args.cache
        )
        print(f"rep {rep}: {wall:.1f} s wall, {executed} notebooks executed", flush=True)
        for error in failed:
            print(f"  a build failed: {error}", flush=True)
        walls.append(wall)
        runs.append(executed)
    print(f"median: {statistics.median(walls):.1f} s wall; executed per rep: {runs}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

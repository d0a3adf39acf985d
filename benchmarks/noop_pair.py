#!/usr/bin/env python3
"""No-op rebuilds of the bench's sphinx-nbcache project and its plain-Sphinx twin, alternating.

Both projects and venvs are those ``benchmarks/run_bench.py`` leaves in ``--work`` (default
``/tmp/bench-work``): run it once with ``--scenarios noop`` first. Prints the median (and
minimum) wall and CPU seconds of N builds of each and their ratio::

    python3 benchmarks/noop_pair.py -n 15
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import time
from pathlib import Path

COMMAND = ["-q", "-b", "html", "-d", "_build/doctrees", ".", "_build/html"]


def build(sphinx_build: Path, project: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, children included) of one build."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(sphinx_build), *COMMAND], cwd=project, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="builds of each")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-work"))
    args = parser.parse_args()
    peers = {
        "sphinx-nbcache": ("nbcache", "nbcache"),
        "plain Sphinx": ("floor", "rst-floor"),
    }
    walls: dict[str, list[float]] = {name: [] for name in peers}
    cpus: dict[str, list[float]] = {name: [] for name in peers}
    for _ in range(args.n):
        for name, (venv, project) in peers.items():
            sphinx_build = args.work / "venvs" / venv / "bin" / "sphinx-build"
            wall, cpu = build(sphinx_build, args.work / "proj" / project)
            walls[name].append(wall)
            cpus[name].append(cpu)
    for name in peers:
        print(
            f"{name:15} wall median {statistics.median(walls[name]):.3f} s "
            f"(min {min(walls[name]):.3f}), CPU median {statistics.median(cpus[name]):.3f} s"
        )
    ours, floor = walls["sphinx-nbcache"], walls["plain Sphinx"]
    print(
        f"ratio: {statistics.median(ours) / statistics.median(floor):.2f} x by medians, "
        f"{min(ours) / min(floor):.2f} x by minima"
    )


if __name__ == "__main__":
    main()

"""Issue 14 campaign: many seeded builds of fuzzed notebooks; reports crashes and unlocated
warnings.  Usage: python benchmarks/campaign_fuzz.py [--rounds 20] [--count 30] [--sphinx-build P]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fuzz_notebooks import write_project


def one_round(seed: int, count: int, sphinx_build: str) -> tuple[int, int, int, int]:
    """(crashed, warnings, unlocated warnings, missing pages) of one build."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        names = write_project(src, seed, count)
        proc = subprocess.run(
            [sphinx_build, "-q", "-b", "html", str(src), str(src / "_build")],
            capture_output=True,
            text=True,
        )
        log = proc.stdout + proc.stderr
        warnings = [ln for ln in log.splitlines() if "WARNING" in ln]
        unlocated = [ln for ln in warnings if not re.search(r"fuzz\d\d", ln)]
        missing = [n for n in names if not (src / "_build" / f"{n}.html").is_file()]
        crashed = int(proc.returncode != 0 or "Traceback" in log)
        return crashed, len(warnings), len(unlocated), len(missing)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--sphinx-build", default=str(Path(sys.executable).parent / "sphinx-build"))
    args = parser.parse_args()
    totals = [0, 0, 0, 0]
    print("round  seed  crashed  warnings  unlocated  missing")
    for i in range(args.rounds):
        row = one_round(args.seed + i, args.count, args.sphinx_build)
        totals = [a + b for a, b in zip(totals, row, strict=False)]
        print(f"{i:5d} {args.seed + i:5d} {row[0]:8d} {row[1]:9d} {row[2]:10d} {row[3]:8d}")
    print(
        f"total  {args.rounds} builds x {args.count} notebooks: crashed={totals[0]} "
        f"warnings={totals[1]} unlocated={totals[2]} missing={totals[3]}"
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Run ../shared/bench/run_peers.py with sphinx-nbcache as a peer, beside myst-nb and nbsphinx.

Writes the peer description (absolute paths to this checkout) to a temporary JSON file and
runs the shared benchmark with it; extra arguments go to run_peers.py. Stdlib only::

    python3 benchmarks/run_bench.py -n 24 --reps 3 --out benchmarks/results
    python3 benchmarks/run_bench.py -n 8 --reps 1 --peers nbcache --out /tmp/nbcache-bench
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# ../shared/bench from the main checkout; a worktree (/work/wt/NAME) finds it one level up
BENCH = next(
    (
        b
        for b in (ROOT.parent / "shared" / "bench", ROOT.parent.parent / "shared" / "bench")
        if b.is_dir()
    ),
    ROOT.parent / "shared" / "bench",
)

# the same pins as the peers' venvs, so only the extension differs
PINS = [
    "sphinx==9.0.4",
    "docutils==0.22.4",
    "ipykernel==7.4.0",
    "jupyter-client==8.10.0",
    "nbclient==0.11.0",
    "nbformat==5.11.1",
    "jupytext==1.19.6",
    "myst-parser==5.2.0",
    "matplotlib==3.11.2",
    "numpy==2.4.6",
]

#: make_corpus.py's arguments for a project built with sphinx-nbcache (the bench's settings)
CORPUS_ARGS = [
    "--peer",
    "custom",
    "--extensions",
    "sphinx_nbcache",
    "--conf-extra",
    str(HERE / "nbcache_conf.py"),
    "--formats",
    "ipynb,md,pct",
]


def main() -> int:
    peer = {
        "nbcache": {
            "venv": "nbcache",
            "requirements": [*PINS, str(ROOT)],
            "corpus_args": CORPUS_ARGS,
            "cache_paths": [".nbcache"],
        }
    }
    args = sys.argv[1:]
    if "--peers" not in args:
        args += ["--peers", "nbcache,mystnb-cache,nbsphinx"]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(peer, handle)
    command = [sys.executable, str(BENCH / "run_peers.py"), "--extra-peers", handle.name, *args]
    print("$", " ".join(command), flush=True)
    return subprocess.call(command)


if __name__ == "__main__":
    raise SystemExit(main())

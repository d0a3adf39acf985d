#!/usr/bin/env python3
"""How much does dependency checking cost a no-op rebuild? (issue: 500 notebooks x 20 deps)

Generates a project of N tiny notebooks, fills the cache directly through the engine (no
kernel runs) with records that each depend on DEPS project files and a few packages, then
times no-op ``sphinx-build`` runs with those dependencies recorded and, as the baseline, with
records that have none. Run with the project's venv::

    .venv/bin/python benchmarks/noop_deps.py -n 500 --deps 20 --reps 5
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from sphinx_nbcache.engine import NotebookCache, key_inputs
from sphinx_nbcache.engine.deps import distributions

SPEC = {"name": "python3", "language": "python", "display_name": "Python 3"}


def make_project(root: Path, n: int, deps: int, with_deps: bool) -> None:
    (root / "data").mkdir(parents=True)
    for i in range(deps * 5):
        (root / "data" / f"f{i}.csv").write_text(f"a,b\n{i},{i * 2}\n")
    (root / "conf.py").write_text(
        'extensions = ["sphinx_nbcache"]\nexclude_patterns = ["_build"]\n'
    )
    names = [f"nb_{i:03d}" for i in range(n)]
    (root / "index.rst").write_text(
        "Bench\n=====\n\n.. toctree::\n\n" + "".join(f"   {name}\n" for name in names)
    )
    cache = NotebookCache(root / ".nbcache", root=root)
    packages = distributions(["numpy", "matplotlib"])
    for i, name in enumerate(names):
        nb = new_notebook(
            cells=[new_markdown_cell(f"# Notebook {i}"), new_code_cell(f"print({i})")],
            metadata={"kernelspec": SPEC},
        )
        nbformat.write(nb, root / f"{name}.ipynb")
        executed = new_notebook(cells=list(nb.cells), metadata=nb.metadata)
        executed.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{i}\n")]
        executed.cells[1].execution_count = 1
        files = {}
        if with_deps:
            for k in range(deps):
                rel = f"data/f{(i + k) % (deps * 5)}.csv"
                files[rel] = hashlib.sha256((root / rel).read_bytes()).hexdigest()
        cache.add_notebook(
            executed,
            f"{name}.ipynb",
            inputs=key_inputs(nb),
            dependencies={
                "files": files,
                "packages": packages if with_deps else {},
                "python": sys.version.split()[0],
                "executable": sys.executable,
            },
        )
    cache.close()


def sphinx(root: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(root), str(root / "_build")],
        check=True,
    )
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--deps", type=int, default=20)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    for with_deps in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            make_project(root, a.n, a.deps, with_deps)
            first = sphinx(root)
            noop = [sphinx(root) for _ in range(a.reps)]
            label = f"{a.deps} deps + packages" if with_deps else "no recorded deps"
            print(
                f"{a.n} notebooks, {label}: first build {first:.1f} s; no-op median "
                f"{statistics.median(noop):.2f} s (min {min(noop):.2f}, max {max(noop):.2f})"
            )


if __name__ == "__main__":
    main()

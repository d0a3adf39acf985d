"""Cost of opening a cache of N records and doing one look-up (the store sweeps on first use).

Usage: ``python benchmarks/store_open.py CACHE_FOLDER N`` (the cache is filled on first run).
Prints the median and the fastest of 60 opens.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from nbformat import v4

from sphinx_nbcache.engine import NotebookCache


def fill(path: Path, n: int) -> None:
    cache = NotebookCache(path)
    cache.cache_limit = n + 10
    spec = {"name": "python3", "display_name": "Python 3"}
    for i in range(n):
        nb = v4.new_notebook(metadata={"kernelspec": spec})
        nb.cells.append(v4.new_code_cell(f"x = {i}", execution_count=1))
        cache.add_notebook(nb, f"nb{i}.ipynb")
    cache.close()


def main() -> None:
    path, n = Path(sys.argv[1]), int(sys.argv[2])
    if not path.exists():
        fill(path, n)
    times = []
    for _ in range(60):
        start = time.perf_counter()
        with NotebookCache(path) as cache:
            cache.lookup("0" * 64)
        times.append(time.perf_counter() - start)
    times.sort()
    median, fastest = 1000 * times[30], 1000 * times[0]
    print(f"n={n}: open + look-up median {median:.2f} ms, fastest {fastest:.2f} ms")


if __name__ == "__main__":
    main()

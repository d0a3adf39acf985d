#!/usr/bin/env python3
"""A one-cell notebook's kernel life and shutdown, several runs in a row::

    python benchmarks/kernel_shutdown.py fork      # or spawn; -n 6 by default

Times nbclient's clean-up (the shutdown after the cells) and the whole ``execute_notebook``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Any

import nbclient.client as nbclient_client
from nbformat.v4 import new_code_cell, new_notebook

from sphinx_nbcache.engine import ExecutionOptions, shutdown_templates, warm_up
from sphinx_nbcache.engine.executor import execute_notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("start", choices=["fork", "spawn"])
    parser.add_argument("-n", type=int, default=6)
    args = parser.parse_args()
    cleanups: list[float] = []
    original = nbclient_client.NotebookClient._async_cleanup_kernel

    async def timed(self: Any) -> None:
        began = time.perf_counter()
        await original(self)
        cleanups.append(time.perf_counter() - began)

    nbclient_client.NotebookClient._async_cleanup_kernel = timed  # type: ignore[method-assign]
    options = ExecutionOptions(kernel_start=args.start)
    if args.start == "fork":
        warm_up("python3", options)
        time.sleep(3)  # the template is warm before the first run
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.n):
            nb = new_notebook(
                cells=[new_code_cell("x = 1")],
                metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            )
            began = time.perf_counter()
            result = execute_notebook(nb, folder, options)
            runs.append(time.perf_counter() - began)
            assert result.error is None, result.error
    shutdown_templates()
    print(
        f"{args.start}: clean-up {[round(c, 3) for c in cleanups]}, "
        f"median {statistics.median(cleanups):.3f} s; run median {statistics.median(runs):.3f} s"
    )


if __name__ == "__main__":
    main()

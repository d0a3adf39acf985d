#!/usr/bin/env python3
"""Kernel life and shutdown time of a one-cell notebook, six runs: python benchmarks/kernel_shutdown.py fork|spawn

Times nbclient's clean-up (the shutdown jupyter_client does after the cells) and the whole run.
"""
import time, sys, statistics
from nbformat.v4 import new_notebook, new_code_cell
import nbclient.client as C
from sphinx_nbcache.engine.executor import execute_notebook
from sphinx_nbcache.engine import ExecutionOptions, warm_up, shutdown_templates
times = []
orig = C.NotebookClient._async_cleanup_kernel
async def timed(self):
    t = time.perf_counter(); await orig(self); times.append(time.perf_counter() - t)
C.NotebookClient._async_cleanup_kernel = timed
mode = sys.argv[1]
if mode == "fork": warm_up("python3", ExecutionOptions(kernel_start="fork")); time.sleep(3)
walls = []
for i in range(6):
    nb = new_notebook(cells=[new_code_cell("x = 1")], metadata={"kernelspec": {"name": "python3", "display_name": "P"}})
    t = time.perf_counter()
    r = execute_notebook(nb, "/tmp/ovk", ExecutionOptions(kernel_start=mode))
    walls.append(time.perf_counter() - t)
    assert r.error is None, r.error
print(mode, "cleanup median %.3f" % statistics.median(times), [round(x, 3) for x in times], "run median %.3f" % statistics.median(walls))
shutdown_templates()

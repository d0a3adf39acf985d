#!/usr/bin/env python3
"""How long until a kernel runs its first cell, forked from a warm template vs spawned?

For each way of starting (``fork``: the ``nbcache-fork`` provisioner, the template warmed up
before the first measurement; ``spawn``: jupyter_client's own start of the process; both with
the engine's client, :class:`~sphinx_nbcache.engine.provisioner.QuickKernelClient`; and
``jc``: jupyter_client's own start and client, whose ``wait_for_ready`` waits for iopub to be
quiet for 0.2 s), interleaved, N times:

- *ready*: from ``start_kernel`` to the ``execute_reply`` of an empty cell (the kernel's
  start, its handshake, and the client's channels);
- *life*: a kernel's whole life as a build lives it: start, one cell (``1 + 1``), shutdown;
  wall seconds, and the CPU seconds of the kernel process (its own and, for a fork, nothing
  of the template's, which are paid once) plus this process's.

Kernels use the executor's transport (Unix sockets in a private folder). Run with the
project's venv::

    .venv/bin/python benchmarks/kernel_start.py -n 20
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time

from sphinx_nbcache.engine.forking import shutdown_templates
from sphinx_nbcache.engine.kernels import kernel_folder, transport
from sphinx_nbcache.engine.provisioner import kernel_manager_class, warm_up


def _quiet(msg: dict) -> None:
    pass


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _manager(mode: str) -> type:
    if mode == "jc":
        from jupyter_client.manager import AsyncKernelManager

        return AsyncKernelManager
    return kernel_manager_class(mode)


async def one(mode: str, folder, attempt: int, cell: str) -> dict[str, float]:
    km = _manager(mode)(kernel_name="python3", config=transport(folder, attempt))
    cpu0, self0 = _children_cpu(), _self_cpu()
    start = time.perf_counter()
    await km.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    await kc.execute_interactive("", timeout=60, output_hook=_quiet)
    ready = time.perf_counter() - start
    await kc.execute_interactive(cell, timeout=60, output_hook=_quiet)
    provisioner = km.provisioner
    pid = provisioner.pid
    kc.stop_channels()
    await km.shutdown_kernel(now=False)
    life = time.perf_counter() - start
    template = getattr(provisioner, "template", None)
    # a fork is the template's child: the template reaped it and told its CPU time
    kernel_cpu = template.cpu[pid] if template is not None else _children_cpu() - cpu0
    return {"ready": ready, "life": life, "cpu": kernel_cpu + _self_cpu() - self0}


async def main(n: int) -> None:
    warm_up()  # as a build does when it starts: the template's imports are not a kernel's
    results: dict[str, list[dict[str, float]]] = {"fork": [], "spawn": [], "jc": []}
    with kernel_folder() as folder:
        attempt = 0
        # a warm-up round of each, not counted (first imports of this process, disk caches)
        for mode in results:
            attempt += 1
            await one(mode, folder, attempt, "")
        for _ in range(n):
            for mode in results:
                attempt += 1
                results[mode].append(await one(mode, folder, attempt, "1 + 1"))
    print(f"{n} starts each, interleaved (median; min-max)")
    for mode, rows in results.items():
        for key, label in (
            ("ready", "ready for 1st cell s"),
            ("life", "life wall s"),
            ("cpu", "life CPU-s"),
        ):
            values = [r[key] for r in rows]
            print(
                f"{mode:6s} {label:22s} {statistics.median(values):6.3f}"
                f"  ({min(values):.3f}-{max(values):.3f})"
            )
    shutdown_templates()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="starts of each kind")
    asyncio.run(main(parser.parse_args().n))

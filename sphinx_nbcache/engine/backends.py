"""The executor backend a setting names: :func:`backend_for`, the one place that reads it.

``nbcache_executor`` in ``conf.py`` and ``nbcache execute --executor`` take the same values:

- ``"local"``: this machine (:class:`~.scheduler.LocalBackend`, ``jobs`` at a time);
- ``"dask"``: a ``distributed.LocalCluster`` started for the run, ``jobs`` single-thread
  worker processes;
- any other text: the address of a running Dask scheduler (``"tcp://host:8786"``, or
  anything ``distributed.Client`` takes);
- a callable taking no arguments and returning a ``distributed.Client`` (dask-jobqueue,
  dask-kubernetes, Coiled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ClusterError
from .interfaces import ExecutorBackend
from .options import DEFAULT_EXECUTOR
from .scheduler import LocalBackend, available_cpus
from .shipping import DEFAULT_SHIP_LIMIT

Executor = str | Callable[[], Any]


def backend_for(
    executor: Executor = DEFAULT_EXECUTOR,
    *,
    jobs: int | None = None,
    shared_filesystem: bool = False,
    ship_limit: int = DEFAULT_SHIP_LIMIT,
) -> ExecutorBackend:
    """The backend for ``executor`` (see the module's docstring for its values).

    :param jobs: notebooks at once locally, or workers of a cluster started here; default:
        the CPUs available. Ignored for a scheduler address or a factory (their workers).
    :param shared_filesystem: Dask workers see the project at the same path (run in place).
    :param ship_limit: bytes a notebook's shipped files may come to (Dask, not shared).
    :raises ClusterError: a value that names no executor, a bad ``jobs`` or
        ``ship_limit``, or a Dask executor without ``distributed`` installed.
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ClusterError(f"jobs must be a whole number of at least 1, not {jobs!r}")
    if executor == "local":
        return LocalBackend(jobs)
    # here, not at import: a build on this machine (and a no-op) does without the Dask module
    from .dask_backend import DaskBackend, from_factory, local_cluster, scheduler_at

    if isinstance(ship_limit, bool) or not isinstance(ship_limit, int) or ship_limit < 0:
        raise ClusterError(f"nbcache_ship_limit must be a number of bytes, not {ship_limit!r}")
    if isinstance(executor, str):
        if not executor.strip():
            raise ClusterError(
                'nbcache_executor is empty: use "local", "dask", a Dask scheduler\'s address '
                "or a callable returning a distributed.Client"
            )
        require_distributed(executor)
        if executor == "dask":
            # one worker process per CPU: each one is a whole Python process, costly to start
            connect = local_cluster(jobs or available_cpus())
            where = "a local Dask cluster"
        else:
            connect, where = scheduler_at(executor), executor
    elif callable(executor):
        require_distributed(getattr(executor, "__qualname__", repr(executor)))
        connect, where = from_factory(executor), "the Dask cluster of nbcache_executor"
    else:
        raise ClusterError(
            f'nbcache_executor {executor!r} names no executor: use "local", "dask", a Dask '
            "scheduler's address or a callable returning a distributed.Client"
        )
    return DaskBackend(
        connect, where=where, shared_filesystem=shared_filesystem, ship_limit=ship_limit
    )


def require_distributed(executor: str) -> None:
    """:raises ClusterError: ``distributed`` is not installed (naming the extra)."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ClusterError(
            f"nbcache_executor {executor!r} runs notebooks on Dask, which is not installed: "
            'pip install "sphinx-nbcache[dask]" (or distributed>=2024.1)'
        ) from None

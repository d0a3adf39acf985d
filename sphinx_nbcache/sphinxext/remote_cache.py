"""The build's use of a remote cache (``nbcache_remote``): fetch on a local miss, push after.

Before executing, each notebook the local cache misses is looked up in the remote store; a
bundle found there is checked (hashes, paths: :mod:`sphinx_nbcache.engine.bundle`), imported
into the local cache and used as a local record would be, once its recorded dependencies
match the local files. After execution, each result stored locally is uploaded (mode
``read-write``). A remote that fails is one warning naming its URL (never its credentials),
and the build goes on with the local cache alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from sphinx.application import Sphinx
from sphinx.util import logging

from sphinx_nbcache.engine import (
    BundleError,
    CacheEntry,
    NotebookCache,
    RemoteError,
    RemoteStore,
    Status,
)

from .plan import Plan, Planner
from .snapshot import nbcache_config

logger = logging.getLogger(__name__)

#: override ``nbcache_remote`` / ``nbcache_remote_mode`` (CI: read-only on forks' pull requests)
REMOTE_VARIABLE = "NBCACHE_REMOTE"
MODE_VARIABLE = "NBCACHE_REMOTE_MODE"


def remote_for(app: Sphinx) -> RemoteStore | None:
    """The remote store of this build, or ``None`` (none configured, or mode ``off``)."""
    conf = nbcache_config(app)
    url = os.environ.get(REMOTE_VARIABLE) or conf.remote
    mode = os.environ.get(MODE_VARIABLE) or conf.remote_mode
    if not url or mode == "off":
        return None
    try:
        return RemoteStore(url, dict(conf.remote_options), mode)
    except RemoteError as exc:
        _warn(exc)
        return None


def _warn(exc: Exception) -> None:
    logger.warning("%s; building with the local cache only", exc, type="nbcache", subtype="remote")


def fetch_misses(
    remote: RemoteStore, store: NotebookCache, planner: Planner, plans: Iterable[Plan]
) -> bool:
    """Take from ``remote`` the records of the plans about to execute; ``False`` when the
    remote failed (one warning: the build uses it no more).

    A plan served so becomes ``cached``, its reason naming the remote. A forced execution
    is never served.
    """
    for plan in plans:
        if plan.status is not Status.EXECUTE or plan.key is None or plan.forced:
            continue
        try:
            entry = remote.fetch(store, plan.key)
        except RemoteError as exc:
            _warn(exc)
            return False
        except BundleError as exc:
            logger.warning(
                "%s; executing it here",
                exc,
                type="nbcache",
                subtype="remote",
                location=plan.docname,
            )
            continue
        if entry is None or planner.stale_record(entry.dependencies):
            continue  # its files differ here: this machine's run is the one to keep
        plan.entry, plan.status = entry, Status.CACHED
        plan.reason = f"from the remote cache {remote.public_url}"
    return True


def push_results(remote: RemoteStore, store: NotebookCache, entries: Iterable[CacheEntry]) -> int:
    """Upload the records this build stored (mode ``read-write``); return how many went."""
    pushed = 0
    for entry in entries:
        try:
            pushed += remote.push(store, entry)
        except RemoteError as exc:
            _warn(exc)
            return pushed
        except BundleError as exc:
            logger.warning("%s; not uploaded", exc, type="nbcache", subtype="remote")
    return pushed

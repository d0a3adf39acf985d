"""The build's use of a remote cache (``nbcache_remote``): fetch on a local miss, push after.

Before executing, each notebook the local cache misses is looked up in the remote store; a
bundle found there is checked (hashes, paths: :mod:`sphinx_nbcache.engine.bundle`), imported
into the local cache and used as a local record would be, once its recorded dependencies
match the local files. Each result the build executes and stores locally is uploaded
(mode ``read-write``) in the background as soon as it is stored (:class:`BackgroundUploads`),
while the other notebooks run and the pages are written; ``build-finished`` waits for the
uploads (a bounded time). A remote that fails is one warning naming its URL (never its
credentials), and the build goes on with the local cache alone.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sphinx.application import Sphinx
from sphinx.util import logging

from sphinx_nbcache.engine import Status

from .plan import Plan, Planner
from .snapshot import nbcache_config

if TYPE_CHECKING:  # the remote's code is imported by a build that has a remote
    from sphinx_nbcache.engine import BackgroundUploads, NotebookCache, RemoteStore

logger = logging.getLogger(__name__)

#: override ``nbcache_remote`` / ``nbcache_remote_mode`` (CI: read-only on forks' pull requests)
REMOTE_VARIABLE = "NBCACHE_REMOTE"
MODE_VARIABLE = "NBCACHE_REMOTE_MODE"


#: each build's uploads, from the first notebook stored to ``build-finished``
_UPLOADS: weakref.WeakKeyDictionary[Sphinx, BackgroundUploads] = weakref.WeakKeyDictionary()


def remote_for(app: Sphinx) -> RemoteStore | None:
    """The remote store of this build, or ``None`` (none configured, or mode ``off``)."""
    conf = nbcache_config(app)
    url = os.environ.get(REMOTE_VARIABLE) or conf.remote
    mode = os.environ.get(MODE_VARIABLE) or conf.remote_mode
    if not url or mode == "off":
        return None
    from sphinx_nbcache.engine import RemoteError, RemoteStore

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
    from sphinx_nbcache.engine import BundleError, RemoteError

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


def start_uploads(
    app: Sphinx, remote: RemoteStore | None, store: NotebookCache
) -> BackgroundUploads | None:
    """This build's background uploads to ``remote`` (``None`` unless mode ``read-write``);
    :func:`finish_uploads` waits for them."""
    if remote is None or remote.mode != "read-write":
        return None
    from sphinx_nbcache.engine import BackgroundUploads

    finish_uploads(app)  # a build before this one on the same app left none running
    uploads = _UPLOADS[app] = BackgroundUploads(remote, store)
    return uploads


def finish_uploads(app: Sphinx, timeout: float | None = None) -> None:
    """``build-finished``: wait for this build's uploads; each problem is one warning."""
    uploads = _UPLOADS.pop(app, None)
    if uploads is None:
        return
    for problem in uploads.finish(timeout):
        logger.warning("%s", problem, type="nbcache", subtype="remote")
    if uploads.pushed:
        logger.info(
            "nbcache: uploaded %d record%s to %s",
            uploads.pushed,
            "s" if uploads.pushed > 1 else "",
            uploads.remote.public_url,
        )

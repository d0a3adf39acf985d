"""Per-build state: the store of this process, and the execution data kept in the environment.

``env.nbcache_outcomes`` holds this build's decisions, made in the main process before
reading (forked ``-j`` readers inherit them). ``env.nbcache_data`` holds, per notebook
document, what the page was rendered from; it is purged and merged with the document like any
other per-document data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment

from sphinx_nbcache.engine import NotebookCache

_STORES: dict[tuple[str, int], NotebookCache] = {}


def cache_path(config: Config, confdir: str | os.PathLike[str]) -> Path:
    """The cache folder: ``nbcache_path`` (relative to ``conf.py``) or ``.nbcache`` there."""
    value = config.nbcache_path
    path = Path(value) if value else Path(".nbcache")
    return path if path.is_absolute() else Path(confdir) / path


def store_for(env: BuildEnvironment) -> NotebookCache:
    """This process's store for the project (a forked reader opens its own connection)."""
    path = Path(env.nbcache_cache_path)
    key = (str(path), os.getpid())
    store = _STORES.get(key)
    if store is None:
        store = _STORES[key] = NotebookCache(path, root=env.srcdir)
    return store


def close_stores() -> None:
    """Close this process's connections (before ``-j`` readers fork)."""
    for (_, pid), store in list(_STORES.items()):
        if pid == os.getpid():
            store.close()


def init_env(app: Sphinx) -> None:
    """``builder-inited``: make sure the environment has our attributes."""
    env = app.env
    env.nbcache_cache_path = str(cache_path(app.config, app.confdir))
    if not hasattr(env, "nbcache_data"):
        env.nbcache_data = {}
    env.nbcache_outcomes = {}
    if not hasattr(env, "nbcache_table_docs"):
        env.nbcache_table_docs = set()


def purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    """``env-purge-doc``."""
    getattr(env, "nbcache_data", {}).pop(docname, None)
    getattr(env, "nbcache_table_docs", set()).discard(docname)


def merge_info(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    """``env-merge-info``: take the per-document data of ``docnames`` from a reader process."""
    other_data: dict[str, Any] = getattr(other, "nbcache_data", {})
    for docname in docnames:
        if docname in other_data:
            env.nbcache_data[docname] = other_data[docname]
    env.nbcache_table_docs |= set(docnames) & getattr(other, "nbcache_table_docs", set())

"""Per-build state: the store of this process, and our data kept in the environment.

Everything lives in one :class:`EnvState` on the environment (``env.nbcache_state``):
``outcomes`` holds this build's decisions, made in the main process before reading (forked
``-j`` readers inherit them); ``data`` holds, per notebook document, what its page was
rendered from, purged and merged with the document like any other per-document data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment

from sphinx_nbcache.engine import NotebookCache, resolve_cache_path

from .doc_outcome import DocOutcome
from .snapshot import NbcacheConfig, nbcache_config

_STORES: dict[tuple[str, int], NotebookCache] = {}


@dataclass
class EnvState:
    """sphinx-nbcache's data in the build environment (pickled with it)."""

    cache_path: str = ""
    #: per notebook document: the outcome its page was rendered from (kept across builds)
    data: dict[str, DocOutcome] = field(default_factory=dict)
    #: documents holding an ``nbcache-execution-table`` (kept across builds)
    table_docs: set[str] = field(default_factory=set)
    #: this build's decision per notebook read, made before reading
    outcomes: dict[str, DocOutcome] = field(default_factory=dict)
    #: this build's counters
    executed: int = 0
    failed: int = 0
    seconds: float = 0.0


def env_state(env: BuildEnvironment) -> EnvState:
    """The :class:`EnvState` of ``env`` (created on first use)."""
    state = getattr(env, "nbcache_state", None)
    if state is None:
        state = EnvState()
        setattr(env, "nbcache_state", state)  # noqa: B010 - an attribute Sphinx does not declare
    return state


def cache_path(
    config: NbcacheConfig | Config, confdir: str | os.PathLike[str] | None = None
) -> Path:
    """The cache folder: ``nbcache_path`` (relative to ``conf.py``) or ``.nbcache`` there.

    The snapshot's :attr:`NbcacheConfig.cache_path`, or the same value taken from another
    ``confdir`` (the folder of ``conf.py``) when one is given.
    """
    snapshot = nbcache_config(config)
    return snapshot.cache_path if confdir is None else resolve_cache_path(snapshot.path, confdir)


def store_for(env: BuildEnvironment) -> NotebookCache:
    """This process's store for the project (a forked reader opens its own connection)."""
    path = Path(env_state(env).cache_path)
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
    _drop_empty_buildinfo(Path(app.outdir))
    state = env_state(app.env)
    state.cache_path = str(nbcache_config(app).cache_path)
    state.outcomes = {}
    state.executed = state.failed = 0
    state.seconds = 0.0


def _drop_empty_buildinfo(outdir: Path) -> None:
    """A build killed while Sphinx wrote ``.buildinfo`` can leave it empty, and Sphinx (9.0)
    then stops every later build with an ``IndexError``; without it, Sphinx writes every
    page again, which is what a killed build's output needs anyway."""
    info = outdir / ".buildinfo"
    try:
        if info.is_file() and not info.read_text(encoding="utf-8", errors="replace").strip():
            info.unlink()
    except OSError:
        pass  # Sphinx says what is wrong with it


def purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    """``env-purge-doc``."""
    state = env_state(env)
    state.data.pop(docname, None)
    state.table_docs.discard(docname)


def merge_info(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    """``env-merge-info``: take the per-document data of ``docnames`` from a reader process."""
    ours, theirs = env_state(env), env_state(other)
    for docname in docnames:
        if docname in theirs.data:
            ours.data[docname] = theirs.data[docname]
    ours.table_docs |= set(docnames) & theirs.table_docs

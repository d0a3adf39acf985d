"""Pages that paste from other notebooks, and reading them again when a pasted value changes.

Each page remembers, per notebook it pastes from, a fingerprint of each value it pasted (or
``""`` for a missing key). Before reading, once the stale notebooks executed, a page not
about to be read is added to the documents to read when one of those notebooks is read and
one of its pasted values now differs. A markdown-only edit of the source notebook changes no
value, so it reads the source page alone; Sphinx's own file dependencies would re-read the
pasting page on any edit, which is why they are not used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from sphinx_nbcache.engine import Status

from ..state import close_stores, env_state
from .page import ValuesUnavailable, values_of
from .values import digest

logger = logging.getLogger(__name__)


@dataclass
class GlueState:
    """Our glue data in the environment (pickled with it)."""

    #: pasting docname -> source docname -> glue key -> fingerprint of the value pasted
    pastes: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


def glue_state(env: BuildEnvironment) -> GlueState:
    """The :class:`GlueState` of ``env`` (created on first use)."""
    state = getattr(env, "nbcache_glue", None)
    if state is None:
        state = GlueState()
        setattr(env, "nbcache_glue", state)  # noqa: B010 - an attribute Sphinx does not declare
    return state


def note_paste(env: BuildEnvironment, source: str, key: str, fingerprint: str) -> None:
    """Remember that the page being read pasted ``key`` of notebook ``source``."""
    pastes = glue_state(env).pastes.setdefault(env.docname, {})
    pastes.setdefault(source, {})[key] = fingerprint


def _changed(env: BuildEnvironment, source: str, keys: dict[str, str]) -> bool:
    try:
        values = values_of(env, source)
    except ValuesUnavailable:
        return True  # the page shows a warning now, or must lose its value
    return any(digest(values.get(key)) != old for key, old in keys.items())


def add_pasting_docs(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``, after execution: read the pages whose pasted values changed."""
    pastes = glue_state(env).pastes
    reading = set(docnames)
    added = []
    try:
        for page, sources in sorted(pastes.items()):
            if page in reading or page not in env.found_docs:
                continue
            if any(s in reading and _changed(env, s, keys) for s, keys in sources.items()):
                added.append(page)
    finally:
        close_stores()  # never let a forked reader inherit the connection
    if not added:
        return
    state = env_state(env)
    for page in added:
        # a notebook page is unchanged itself (or it would be read already): it renders from
        # the same outcome as in the last build
        if page in state.data and page not in state.outcomes:
            outcome = state.data[page]
            if outcome.status is Status.EXECUTED:  # then; now it comes from the cache
                outcome = outcome.with_outcome(status=Status.CACHED, reason="unchanged")
            state.outcomes[page] = outcome
    logger.info(
        "nbcache: reading %d page%s again, for values pasted from notebooks that changed: %s",
        len(added),
        "s" if len(added) > 1 else "",
        ", ".join(added),
    )
    docnames.extend(added)


def purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    """``env-purge-doc``."""
    glue_state(env).pastes.pop(docname, None)


def merge_info(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    """``env-merge-info``: take the pastes of ``docnames`` from a reader process."""
    ours, theirs = glue_state(env).pastes, glue_state(other).pastes
    for docname in docnames:
        if docname in theirs:
            ours[docname] = theirs[docname]

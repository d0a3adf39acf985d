"""The glued and evaluated values a page can paste: its own, and other notebooks'.

The parser calls :func:`with_eval_cells` before filling in a notebook's outputs (so that the
cached record, which holds the generated evaluation cells, pairs with the source) and
:func:`take_page_values` after (taking the values out of the outputs for the roles and
directives of this page). Another notebook's values come from its cache record (or, when it
is not executed, from its file), so it does not matter which page is read first, nor in which
``-j`` process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from sphinx_nbcache.engine import NbCacheError, add_eval_cells, read_notebook, split_eval_cells

# nothing from ..rendering: its parser imports this module
from ..outputs import executed_notebook
from ..settings import notebook_settings
from ..snapshot import nbcache_config
from ..sources import notebook_format
from ..state import env_state, store_for
from .values import GluedValue, glued_values, without_hidden_records

if TYPE_CHECKING:
    from nbformat import NotebookNode

logger = logging.getLogger(__name__)

#: where the page being read keeps its values (``env.temp_data``, cleared after each page)
TEMP_KEY = "nbcache_page_values"

#: statuses whose values are in the source file rather than a cache record


@dataclass
class PageValues:
    """The values of the notebook being read."""

    glue: dict[str, GluedValue] = field(default_factory=dict)
    #: per markdown cell index: expression -> its outputs (inline mode)
    evals: dict[int, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    #: whether the notebook executes in inline mode (``{eval}`` has values)
    inline: bool = False


def _relpath(env: BuildEnvironment, path: Path) -> str:
    try:
        rel = path.absolute().relative_to(Path(env.srcdir).absolute())
    except ValueError:
        return path.as_posix()
    return PurePosixPath(*rel.parts).as_posix()


def is_inline(env: BuildEnvironment, docname: str, nb: NotebookNode) -> bool:
    """Whether ``nb`` executes in ``inline`` mode (from ``conf.py`` or its metadata)."""
    relpath = _relpath(env, Path(env.doc2path(docname)))
    settings, _ = notebook_settings(nbcache_config(env), nb.metadata, relpath)
    return settings.execution_mode == "inline" and not settings.excluded


def with_eval_cells(env: BuildEnvironment, docname: str, nb: NotebookNode) -> NotebookNode:
    """``nb`` with the evaluation cells the planner added for execution, in inline mode."""
    if not is_inline(env, docname, nb):
        return nb
    return add_eval_cells(nb, nbcache_config(env).eval_name_regex)


def take_page_values(env: BuildEnvironment, docname: str, nb: NotebookNode) -> NotebookNode:
    """Keep the page's glued and evaluated values for its roles; return what to render.

    The notebook returned has neither the generated cells nor the hidden glue outputs.
    """
    nb, evals = split_eval_cells(nb)
    values, duplicates = glued_values(nb)
    for name, index in duplicates:
        logger.warning(
            "glue key %r is glued more than once; the last value is pasted",
            name,
            type="nbcache",
            subtype="glue",
            location=(docname, index + 1),  # the cell's line, as rendering/tokens.py has it
        )
    inline = is_inline(env, docname, nb)
    env.temp_data[TEMP_KEY] = PageValues(glue=values, evals=evals, inline=inline)
    return without_hidden_records(nb)


def page_values(env: BuildEnvironment) -> PageValues | None:
    """The values of the page being read; ``None`` when it is not a notebook."""
    try:
        return env.temp_data.get(TEMP_KEY)  # type: ignore[no-any-return]
    except (AttributeError, KeyError):
        return None


# -- another notebook's values ---------------------------------------------------------------

#: per process: (docname, what identifies its outputs) -> values
_LOADED: dict[tuple[Any, ...], dict[str, GluedValue]] = {}


class ValuesUnavailable(Exception):
    """Another document's values cannot be read (the message says why)."""


def values_of(env: BuildEnvironment, docname: str) -> dict[str, GluedValue]:
    """The values glued in notebook ``docname``, as this build renders it.

    :raises ValuesUnavailable: ``docname`` is not a notebook, or its outputs cannot be read.
    """
    state = env_state(env)
    outcome = state.outcomes.get(docname) or state.data.get(docname)
    if outcome is None:
        raise ValuesUnavailable(f"{docname!r} is not a notebook of this project")
    path = Path(env.doc2path(docname))
    key = outcome.key
    from_file = outcome.status.from_file or not key
    try:
        ident: tuple[Any, ...] = (
            ("file", docname, path.stat().st_mtime_ns)
            if from_file
            else ("record", docname, key, outcome.outcome.record_id, outcome.status)
        )
    except OSError as exc:
        raise ValuesUnavailable(f"cannot read {path.name}: {exc}") from None
    if ident in _LOADED:
        return _LOADED[ident]
    try:
        if from_file:
            fmt = notebook_format(nbcache_config(env), path)
            nb = read_notebook(path, fmt) if fmt is not None else None
        else:
            nb = executed_notebook(store_for(env), str(key))
    except (NbCacheError, OSError) as exc:
        raise ValuesUnavailable(f"the outputs of {path.name} cannot be read: {exc}") from None
    if nb is None:
        raise ValuesUnavailable(f"{path.name} has no outputs yet (it did not execute)")
    values, _ = glued_values(nb)
    if len(_LOADED) > 64:  # a build reads each notebook's values once or twice
        _LOADED.clear()
    _LOADED[ident] = values
    return values

"""Where the parser gets a notebook's outputs from: the cache, a failure, or the file itself.

Markdown always comes from the current source (a prose edit needs no execution); the outputs
of code cells come from the cache record of the notebook's key, matched cell by cell.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from sphinx_nbcache.engine import (
    CacheEntry,
    NbCacheError,
    NotebookCache,
    clean_controls,
    code_cells,
    key_inputs,
    normalise_source,
)

from .doc_outcome import DocOutcome
from .state import env_state, store_for

if TYPE_CHECKING:
    from nbformat import NotebookNode

logger = logging.getLogger(__name__)


def _code_cells(nb: NotebookNode) -> list[NotebookNode]:
    return [cell for _, cell in code_cells(nb)]


def merge_outputs(source: NotebookNode, executed: NotebookNode) -> NotebookNode | None:
    """``source`` with the outputs of ``executed``; ``None`` if their code cells differ in number.

    A failure's partial notebook has every cell (those after the failure without outputs).
    """
    theirs = _code_cells(executed)
    if len(_code_cells(source)) != len(theirs):
        return None
    merged = copy.deepcopy(source)
    for cell in merged.cells:
        if cell.get("cell_type") == "code" and not normalise_source(cell.get("source", "")):
            cell["outputs"], cell["execution_count"] = [], None
    for mine, done in zip(_code_cells(merged), theirs, strict=True):
        mine["outputs"] = copy.deepcopy(done.get("outputs", []))
        mine["execution_count"] = done.get("execution_count")
    for key in ("language_info", "widgets"):
        if key in executed.metadata:
            merged.metadata[key] = copy.deepcopy(executed.metadata[key])
    return merged


#: this build's runs whose results the store could not keep, by key (in memory only: ``-j``
#: readers fork after execution and inherit it)
_UNSTORED: dict[str, NotebookNode] = {}


def keep_unstored(key: str | None, nb: NotebookNode) -> None:
    """Show ``nb``, a run the store could not keep, on its page in this build."""
    if key:
        _UNSTORED[key] = nb


def forget_unstored() -> None:
    """At the start of a build: the last build's unstored runs are not this one's."""
    _UNSTORED.clear()


def executed_notebook(store: NotebookCache, key: str) -> NotebookNode | None:
    """The executed notebook of ``key``: this build's unstored run, or the store's."""
    return _UNSTORED.get(key) or _load_executed(store, key)


def _load_executed(store: NotebookCache, key: str, attempts: int = 3) -> NotebookNode | None:
    """The executed (or partly executed) notebook stored under ``key``, if any.

    Another build sharing the cache may replace the record between the look-up and the read
    (its files are then removed): look the key up again rather than fail.
    """
    for attempt in range(attempts):
        found = store.result_for(key)
        try:
            if isinstance(found, CacheEntry):
                return store.load_notebook(found)
            return store.load_failure_notebook(found) if found is not None else None
        except (NbCacheError, FileNotFoundError):
            if attempt == attempts - 1:
                raise NbCacheError(
                    f"the cached outputs of key {key[:12]} vanished while being read "
                    "(another build replaced them); build again"
                ) from None
    return None


def _code_of(inputs: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """The part of the key a code edit changes: each code cell's digest and execution tags."""
    return [(digest, tuple(tags)) for _, digest, tags in inputs.get("cells", [])]


def changed_since_planned(nb: NotebookNode, outcome: DocOutcome) -> bool:
    """Whether the code of ``nb`` (as read now) differs from what the build planned and ran."""
    planned = outcome.inputs
    if not planned:
        return False
    return _code_of(key_inputs(nb).to_json()) != _code_of(planned)


def _without_outputs(nb: NotebookNode) -> NotebookNode:
    bare = copy.deepcopy(nb)
    for _, cell in code_cells(bare):
        cell["outputs"], cell["execution_count"] = [], None
    return bare


def _clean(text: Any) -> Any:
    if isinstance(text, list):
        text = "".join(str(part) for part in text)
    return clean_controls(text) if isinstance(text, str) else text


def clean_text_outputs(nb: NotebookNode) -> NotebookNode:
    """``nb`` (changed in place) without control characters in its text outputs.

    A bell, a backspace or a terminal title (``ESC ] 0; ... BEL``) printed by a cell would
    reach the page as invisible or invalid characters; colours (SGR sequences) stay.
    """
    for _, cell in code_cells(nb):
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream" and "text" in out:
                out["text"] = _clean(out["text"])
            elif kind == "error":
                out["traceback"] = [_clean(line) for line in out.get("traceback", [])]
                out["evalue"] = _clean(out.get("evalue", ""))
            elif isinstance(out.get("data"), dict) and "text/plain" in out["data"]:
                out["data"]["text/plain"] = _clean(out["data"]["text/plain"])
    return nb


def notebook_for_rendering(env: BuildEnvironment, docname: str, nb: NotebookNode) -> NotebookNode:
    """The notebook to render for ``docname``: the source ``nb`` with outputs filled in.

    Text outputs are cleaned of control characters (:func:`clean_text_outputs`).
    """
    return clean_text_outputs(_with_outputs(env, docname, nb))


def _with_outputs(env: BuildEnvironment, docname: str, nb: NotebookNode) -> NotebookNode:
    """The source ``nb`` with the outputs of its run filled in.

    Outputs are only ever those of the code being rendered: a notebook saved after the build
    planned it (while its kernel ran, say) is shown without outputs, and its document is
    marked so that the next build reads and executes it again.
    """
    state = env_state(env)
    outcome = state.outcomes.get(docname)
    if outcome is None:
        return nb
    state.data[docname] = outcome.kept()
    key = outcome.key
    if outcome.status.from_file or not key:
        return nb
    if changed_since_planned(nb, outcome):
        state.data[docname] = replace(outcome.kept(), changed_under_build=True)
        logger.warning(
            "the notebook changed while the build executed it; its page shows no outputs "
            "this time, the next build executes it again",
            type="nbcache",
            subtype="cache",
            location=docname,
        )
        return _without_outputs(nb)
    try:
        executed = executed_notebook(store_for(env), key)
    except NbCacheError as exc:
        logger.warning("%s", exc, type="nbcache", subtype="cache", location=docname)
        return nb
    if executed is None:
        return nb
    merged = merge_outputs(nb, executed)
    if merged is None:
        state.data[docname] = replace(outcome.kept(), changed_under_build=True)
        logger.warning(
            "the notebook changed while the build ran; showing it without outputs",
            type="nbcache",
            subtype="cache",
            location=docname,
        )
        return nb
    return merged

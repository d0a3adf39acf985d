"""A notebook's glued values, read from its outputs (no Sphinx here).

``glue(name, value)`` (ours or MyST-NB's) displays the value with metadata
``{"scrapbook": {"name": ..., "mime_prefix": ...}}``; with ``display=False`` its MIME keys carry
the prefix ``application/papermill.record/``, which no page shows.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sphinx_nbcache.scrapbook import GLUE_PREFIX

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: a glued value: ``{"data": {mime: content}, "metadata": {...}, "cell": index}``
GluedValue = dict[str, Any]


def _scrap(output: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if output.get("output_type") not in ("display_data", "execute_result"):
        return None
    scrap = (output.get("metadata") or {}).get("scrapbook")
    if isinstance(scrap, Mapping) and isinstance(scrap.get("name"), str):
        return scrap
    return None


def is_hidden_record(output: Mapping[str, Any]) -> bool:
    """Whether ``output`` is a value glued with ``display=False`` (never shown in a page)."""
    data = output.get("data") or {}
    return bool(data) and all(str(mime).startswith(GLUE_PREFIX) for mime in data)


def glued_values(nb: NotebookNode) -> tuple[dict[str, GluedValue], list[tuple[str, int]]]:
    """The values glued in ``nb``'s outputs, by name, and the ``(name, cell index)`` duplicates.

    A name glued twice keeps its last value, as MyST-NB does.
    """
    values: dict[str, GluedValue] = {}
    duplicates: list[tuple[str, int]] = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs") or []:
            scrap = _scrap(output)
            if scrap is None:
                continue
            prefix = str(scrap.get("mime_prefix") or "")
            data = {
                (mime[len(prefix) :] if prefix and mime.startswith(prefix) else mime): content
                for mime, content in (output.get("data") or {}).items()
            }
            metadata = {k: v for k, v in (output.get("metadata") or {}).items() if k != "scrapbook"}
            name = scrap["name"]
            if name in values:
                duplicates.append((name, index))
            values[name] = {"data": data, "metadata": metadata, "cell": index}
    return values, duplicates


def without_hidden_records(nb: NotebookNode) -> NotebookNode:
    """``nb`` with the outputs of ``glue(..., display=False)`` removed (a copy if any)."""

    def hides(cell: NotebookNode) -> bool:
        outputs = cell.get("outputs") or [] if cell.get("cell_type") == "code" else []
        return any(is_hidden_record(o) for o in outputs)

    if not any(hides(c) for c in nb.cells):
        return nb
    out = copy.copy(nb)
    out.cells = []
    for cell in nb.cells:
        if hides(cell):
            cell = copy.copy(cell)
            cell["outputs"] = [o for o in cell["outputs"] if not is_hidden_record(o)]
        out.cells.append(cell)
    return out


def digest(value: GluedValue | None) -> str:
    """A fingerprint of what a page shows of a value (``""`` for a missing one)."""
    if value is None:
        return ""
    text = json.dumps([value.get("data"), value.get("metadata")], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]

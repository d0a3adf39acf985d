"""What a cell's tags and metadata say about how to display it, in every spelling users bring.

Pure functions, :func:`cell_display` and :func:`folds_whole_cell`, so that the rules live in
one place and are tested without Sphinx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sphinx_nbcache.engine import cell_tags


@dataclass(frozen=True)
class CellDisplay:
    """How to display one cell."""

    remove_cell: bool = False
    remove_input: bool = False
    remove_output: bool = False
    remove_stderr: bool = False
    hide_input: bool = False
    hide_output: bool = False


#: tag (dashes, lower case) -> the flags it sets
_TAG_FLAGS: dict[str, tuple[str, ...]] = {
    "remove-cell": ("remove_cell",),
    "remove-input": ("remove_input",),
    "remove-output": ("remove_output",),
    "remove-stderr": ("remove_stderr",),
    "hide-input": ("hide_input",),
    "hide-output": ("hide_output",),
    "hide-cell": ("hide_input", "hide_output"),
}

#: MyST-NB's cell metadata keys under ``mystnb`` -> our flag
_MYSTNB_FLAGS: dict[str, str] = {
    "remove_code_source": "remove_input",
    "remove_code_outputs": "remove_output",
}


def cell_display(cell: Mapping[str, Any]) -> CellDisplay:
    """Normalise a cell's tags and metadata into display flags.

    Understood: our tags (``remove-cell``, ``remove-input``, ``remove-output``,
    ``remove-stderr``, ``hide-input``, ``hide-output``, ``hide-cell``); nbconvert's underscore
    spellings (``remove_cell`` ...); nbsphinx's ``"nbsphinx": "hidden"`` metadata (remove the
    cell); MyST-NB's ``mystnb: {remove_code_source, remove_code_outputs}`` metadata. Tags that
    only affect execution (``raises-exception``, ``skip-execution``) have no display effect.
    """
    flags: set[str] = set()
    for tag in cell_tags(cell):
        flags.update(_TAG_FLAGS.get(tag.strip().lower().replace("_", "-"), ()))
    metadata = cell.get("metadata") or {}
    if metadata.get("nbsphinx") == "hidden":
        flags.add("remove_cell")
    mystnb = metadata.get("mystnb")
    if isinstance(mystnb, Mapping):
        flags.update(flag for key, flag in _MYSTNB_FLAGS.items() if mystnb.get(key) is True)
    return CellDisplay(**dict.fromkeys(flags, True))


def folds_whole_cell(cell: Mapping[str, Any]) -> bool:
    """Whether the cell's input and outputs fold together, under one summary (``hide-cell``).

    MyST-NB shows a ``hide-cell`` cell as ONE fold, "Show code cell content", around both
    parts; ``hide-input`` and ``hide-output`` fold each part on its own, even together.
    """
    return any(tag.strip().lower().replace("_", "-") == "hide-cell" for tag in cell_tags(cell))

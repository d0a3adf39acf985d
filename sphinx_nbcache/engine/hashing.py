"""The cache key: what changes a notebook's results, and nothing else.

The key is a SHA-256 over a canonical JSON form of the code cells' sources (in order, line
endings normalised, blank cells dropped), the kernel name and language, the
execution-relevant tags and any extra inputs the caller adds (e.g. dependency fingerprints).
Markdown and raw cells, outputs, execution counts, cell ids and every other piece of metadata
(display tags such as ``remove-input`` among them) do not count: editing them never
re-executes. jupyter-cache hashes all cell metadata; we do not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode


#: Tags that change what execution does, and so belong to the key.
EXECUTION_TAGS: frozenset[str] = frozenset({"raises-exception", "skip-execution"})

#: Kernel used for notebooks that name none.
DEFAULT_KERNEL = "python3"

KEY_VERSION = 1


def normalise_source(source: str | list[str]) -> str:
    """Join, normalise line endings and strip trailing blank space from a cell source."""
    if isinstance(source, list):
        source = "".join(source)
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in source.split("\n")).strip("\n")


def kernel_of(nb: NotebookNode, default_kernel: str = DEFAULT_KERNEL) -> tuple[str, str]:
    """Return ``(kernel name, language)`` the notebook executes with.

    The name comes from the kernelspec, else ``default_kernel``; the language from the
    kernelspec, then ``language_info``, then jupytext's record of the script's language.
    """
    meta = nb.get("metadata", {})
    spec = meta.get("kernelspec") or {}
    name = spec.get("name") or default_kernel
    language = (
        spec.get("language")
        or (meta.get("language_info") or {}).get("name")
        or (meta.get("jupytext") or {}).get("main_language")
        or "python"
    )
    return str(name), str(language).lower()


def cell_tags(cell: Mapping[str, Any]) -> list[str]:
    """The cell's tags as a list of strings (tolerating a malformed ``tags`` value)."""
    tags = cell.get("metadata", {}).get("tags", [])
    if isinstance(tags, str):
        return [tags]
    return [str(t) for t in tags] if isinstance(tags, list) else []


def code_cells(nb: NotebookNode) -> list[tuple[int, NotebookNode]]:
    """``(index, cell)`` of the code cells that count: in order, blank ones left out.

    An empty cell executes nothing and jupytext may drop it, so the key ignores it; merging
    cached outputs and validating execution counts pair cells the same way.
    """
    return [
        (index, cell)
        for index, cell in enumerate(nb.cells)
        if cell.get("cell_type") == "code" and normalise_source(cell.get("source", ""))
    ]


@dataclass(frozen=True)
class KeyInputs:
    """Everything that goes into a notebook's cache key, kept to explain why a key changed."""

    kernel: str
    language: str
    #: per code cell: (index of the cell in the notebook, sha256 of its source, its execution tags)
    cells: tuple[tuple[int, str, tuple[str, ...]], ...]
    extra: Mapping[str, Any] = field(default_factory=dict)

    def canonical(self) -> str:
        """The canonical JSON text hashed into the key."""
        return json.dumps(
            {
                "v": KEY_VERSION,
                "kernel": self.kernel,
                "language": self.language,
                # the position of a code cell among code cells matters; its absolute index
                # does not (inserting a markdown cell must not re-execute)
                "cells": [[digest, list(tags)] for _, digest, tags in self.cells],
                "extra": self.extra,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def key(self) -> str:
        """The SHA-256 hex digest of :meth:`canonical`."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form, stored on cache records."""
        return {
            "kernel": self.kernel,
            "language": self.language,
            "cells": [[i, d, list(t)] for i, d, t in self.cells],
            "extra": dict(self.extra),
        }


def key_inputs(
    nb: NotebookNode,
    *,
    default_kernel: str = DEFAULT_KERNEL,
    extra: Mapping[str, Any] | None = None,
) -> KeyInputs:
    """Collect the inputs of the cache key of ``nb``."""
    kernel, language = kernel_of(nb, default_kernel)
    cells = []
    for index, cell in code_cells(nb):
        source = normalise_source(cell.get("source", ""))
        digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
        tags = tuple(sorted(set(cell_tags(cell)) & EXECUTION_TAGS))
        cells.append((index, digest, tags))
    return KeyInputs(kernel, language, tuple(cells), dict(extra or {}))


def notebook_key(
    nb: NotebookNode,
    *,
    default_kernel: str = DEFAULT_KERNEL,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The cache key of ``nb``: a SHA-256 hex digest; see the module docstring."""
    return key_inputs(nb, default_kernel=default_kernel, extra=extra).key()


def explain_change(old: Mapping[str, Any], new: KeyInputs) -> list[str]:
    """Say in words why ``new`` differs from the stored inputs ``old`` (``KeyInputs.to_json``)."""
    reasons: list[str] = []
    if old.get("kernel") != new.kernel:
        reasons.append(f"kernel changed ({old.get('kernel')} -> {new.kernel})")
    if old.get("language") != new.language:
        reasons.append(f"language changed ({old.get('language')} -> {new.language})")
    old_cells = [(d, tuple(t)) for _, d, t in old.get("cells", [])]
    new_cells = [(d, t) for _, d, t in new.cells]
    if old_cells != new_cells:
        if len(old_cells) != len(new_cells):
            reasons.append(f"code cells {len(old_cells)} -> {len(new_cells)}")
        else:
            for n, ((od, ot), (nd, nt), (index, _, _)) in enumerate(
                zip(old_cells, new_cells, new.cells, strict=True), start=1
            ):
                if od != nd:
                    reasons.append(f"code cell {n} changed (cell {index + 1} of the notebook)")
                elif ot != nt:
                    reasons.append(f"code cell {n} execution tags changed")
    reasons += _explain_extra(dict(old.get("extra", {})), dict(new.extra))
    return reasons


#: how a changed entry of each ``extra`` group is described
_EXTRA_WORDS = {
    "env": "environment variable {name} changed",
    "declared": "declared dependency `{name}` changed",
    "locks": "lock file `{name}` changed",
}


def _explain_extra(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    reasons = []
    for group in sorted(set(old) | set(new)):
        before, after = old.get(group, {}), new.get(group, {})
        if before == after:
            continue
        if not isinstance(before, Mapping) or not isinstance(after, Mapping):
            reasons.append(f"{group} changed")
            continue
        words = _EXTRA_WORDS.get(group, group + " {name} changed")
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                reasons.append(words.format(name=name))
    return reasons

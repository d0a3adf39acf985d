"""The shapes of the notebook and cell metadata nbcache reads, checked in one place.

Read elsewhere: ``settings.py`` (``nbcache`` settings, and the ``mystnb`` and ``nbsphinx``
ones as ``compat.py`` translates them), ``plan.py`` (``nbcache.dependencies``),
``rendering/tags.py`` and ``rendering/mystnb_meta.py`` (cell ``tags``, ``mystnb`` and
``nbsphinx`` metadata), ``rendering/parser.py`` (notebook ``nbsphinx``). Each of them may
then trust what it reads: :func:`inspect_notebook` returns the notebook without the values of
a wrong shape, and one message per such value, given once per build where the notebook is
planned. A wrong value is ignored, as a bad ``conf.py`` value is, and nothing else about the
notebook changes.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sphinx_nbcache.engine import EXECUTION_TAGS

from .compat import NBSPHINX_EXECUTE
from .config import EXECUTION_MODES

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: keys of the notebook-level ``nbcache`` metadata
NBCACHE_KEYS = (
    "execution_mode",
    "timeout",
    "notebook_timeout",
    "allow_errors",
    "kernel",
    "dependencies",
    "output_limit",  # checked where it applies (rendering/truncate.py)
)

#: tags some part of nbcache acts on (dashes; nbconvert's underscore spellings are the same)
KNOWN_TAGS: frozenset[str] = frozenset(
    {
        "remove-cell",
        "remove-input",
        "remove-output",
        "remove-stderr",
        "remove-stdout",
        "hide-input",
        "hide-output",
        "hide-cell",
        "scroll-output",
        "output-scroll",
        "nbsphinx-thumbnail",
        "nbsphinx-toctree",
        "nbsphinx-gallery",
        *EXECUTION_TAGS,
    }
)

#: what a notebook-level mapping looks like, for the messages
_EXAMPLES = {"nbcache": '{"execution_mode": "cache"}', "nbsphinx": '{"execute": "never"}'}

#: how close an unknown tag must be to a known one for a "did you mean" (one letter off)
_CLOSE = 0.9


def setting_problem(key: str, value: Any) -> str | None:
    """What is wrong with one execution setting from notebook metadata, or ``None``."""
    if key == "execution_mode" and value not in EXECUTION_MODES:
        return f"execution_mode {value!r} in the notebook metadata is not one of " + ", ".join(
            EXECUTION_MODES
        )
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if key in ("timeout", "notebook_timeout") and value is not None and not number:
        return f"{key} {value!r} in the notebook metadata is not a number"
    if key == "allow_errors" and not isinstance(value, bool):
        return f"allow_errors {value!r} in the notebook metadata is not true/false"
    if key == "kernel" and not isinstance(value, str):
        return f"kernel {value!r} in the notebook metadata is not a kernel name"
    return None


def _what(value: Any) -> str:
    """A value as JSON users would name it: ``the text 'oops'``, ``the number 5``."""
    if isinstance(value, bool) or value is None:
        return f"the value {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, Mapping):
        return f"the mapping {dict(value)!r}"
    if isinstance(value, list):
        return f"the list {value!r}"
    return repr(value)


def _check_nbcache(own: dict[str, Any], problems: list[str]) -> None:
    for key in list(own):
        if key not in NBCACHE_KEYS:
            close = difflib.get_close_matches(key, NBCACHE_KEYS, n=1, cutoff=0.8)
            hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(NBCACHE_KEYS)
            problems.append(f"unknown key {key!r} in the notebook's 'nbcache' metadata; {hint}")
    if "dependencies" in own:
        deps = own["dependencies"]
        if not isinstance(deps, list):
            problems.append(
                f"'nbcache' metadata 'dependencies' must be a list of file patterns "
                f'(e.g. ["{deps}"]), not {_what(deps)}; it is ignored'
                if isinstance(deps, str)
                else f"'nbcache' metadata 'dependencies' must be a list of file patterns, "
                f"not {_what(deps)}; it is ignored"
            )
            del own["dependencies"]
        else:
            bad = [d for d in deps if not isinstance(d, str)]
            if bad:
                problems.append(
                    "'nbcache' metadata 'dependencies' holds values that are not file "
                    f"patterns (text): {', '.join(repr(b) for b in bad)}; they are ignored"
                )
                own["dependencies"] = [d for d in deps if isinstance(d, str)]


def _check_nbsphinx(theirs: dict[str, Any], problems: list[str]) -> None:
    execute = theirs.get("execute")
    if "execute" in theirs and execute not in NBSPHINX_EXECUTE:
        problems.append(
            f"'nbsphinx' metadata 'execute' {execute!r} is not one of "
            + ", ".join(repr(v) for v in NBSPHINX_EXECUTE)
            + "; it is ignored"
        )
        del theirs["execute"]
    if "orphan" in theirs and not isinstance(theirs["orphan"], bool):
        problems.append(
            f"'nbsphinx' metadata 'orphan' {theirs['orphan']!r} is not true/false; it is ignored"
        )
        del theirs["orphan"]


def _check_tags(where: str, metadata: dict[str, Any], problems: list[str]) -> None:
    tags = metadata["tags"]
    if isinstance(tags, str):
        # the cache key (engine/hashing.py) reads one text as one tag: so does the page
        problems.append(
            f"{where}: 'tags' must be a list of text, not {_what(tags)}; read as [\"{tags}\"]"
        )
        metadata["tags"] = tags = [tags]
    elif not isinstance(tags, list):
        problems.append(f"{where}: 'tags' must be a list of text, not {_what(tags)}; it is ignored")
        del metadata["tags"]
        return
    bad = [t for t in tags if not isinstance(t, str)]
    if bad:
        problems.append(
            f"{where}: tags that are not text are ignored: {', '.join(repr(b) for b in bad)}"
        )
        metadata["tags"] = tags = [t for t in tags if isinstance(t, str)]
    for tag in tags:
        spelled = tag.strip().lower().replace("_", "-")
        if spelled in KNOWN_TAGS:
            continue
        close = difflib.get_close_matches(spelled, sorted(KNOWN_TAGS), n=1, cutoff=_CLOSE)
        if close:
            problems.append(
                f"{where}: unknown tag {tag!r}; did you mean {close[0]!r}? (it has no effect)"
            )


def _check_cell(index: int, cell: Any, problems: list[str]) -> None:
    where = f"cell {index + 1}"
    if not isinstance(cell, dict):  # NotebookNode is a dict
        return  # nbformat's reader refuses such notebooks before we see them
    metadata = cell.get("metadata")
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        problems.append(f"{where}: its metadata must be a mapping, not {_what(metadata)}")
        cell["metadata"] = _node()
        return
    if "tags" in metadata:
        _check_tags(where, metadata, problems)
    mystnb = metadata.get("mystnb")
    if "mystnb" in metadata and not isinstance(mystnb, Mapping):
        problems.append(
            f"{where}: 'mystnb' metadata must be a mapping of options, "
            f"not {_what(mystnb)}; it is ignored"
        )
        del metadata["mystnb"]
    nbsphinx = metadata.get("nbsphinx")
    if "nbsphinx" in metadata and nbsphinx != "hidden":
        problems.append(
            f"{where}: 'nbsphinx' metadata {nbsphinx!r} means nothing; "
            "the only value is 'hidden'; it is ignored"
        )
        del metadata["nbsphinx"]


def _node(value: Mapping[str, Any] | None = None) -> NotebookNode:
    """A notebook node (nbformat is imported here: a no-op build imports none of it)."""
    from nbformat import NotebookNode

    return NotebookNode(value or {})


def _metadata_copy(nb: NotebookNode) -> NotebookNode:
    """A copy of ``nb`` whose metadata (the notebook's, each cell's) may be changed freely.

    Sources and outputs are shared with ``nb``, not copied: they may be large, and nothing
    here changes them.
    """
    out = _node(nb)
    out["metadata"] = copy.deepcopy(nb.get("metadata"))
    cells = []
    for cell in nb.get("cells") or []:
        if isinstance(cell, Mapping):
            cell = _node(cell)
            if "metadata" in cell:
                cell["metadata"] = copy.deepcopy(cell["metadata"])
        cells.append(cell)
    out["cells"] = cells
    return out


def inspect_notebook(nb: NotebookNode) -> tuple[NotebookNode, list[str]]:
    """A copy of ``nb`` without metadata values of a wrong shape, and what was wrong.

    Each message names the value, what is expected and (for a cell) the cell, counted from 1.
    Execution settings' values are checked by :func:`setting_problem` (``settings.py``).
    ``nb`` itself is left as it is.
    """
    nb = _metadata_copy(nb)
    problems: list[str] = []
    metadata = nb.get("metadata")
    if not isinstance(metadata, dict):
        problems.append(f"the notebook's metadata must be a mapping, not {_what(metadata)}")
        nb["metadata"] = metadata = _node()
    for key, check in (("nbcache", _check_nbcache), ("nbsphinx", _check_nbsphinx)):
        if key in metadata:
            value = metadata[key]
            if isinstance(value, dict):
                check(value, problems)
            else:
                problems.append(
                    f"the notebook's '{key}' metadata must be a mapping of settings "
                    f"(e.g. {_EXAMPLES[key]}), not {_what(value)}; it is ignored"
                )
                del metadata[key]
    if "mystnb" in metadata and not isinstance(metadata["mystnb"], dict):
        value = metadata.pop("mystnb")
        problems.append(
            f"the notebook's 'mystnb' metadata must be a mapping of options, "
            f"not {_what(value)}; it is ignored"
        )
    for index, cell in enumerate(nb.get("cells") or []):
        _check_cell(index, cell, problems)
    return nb, problems


def cleaned(nb: NotebookNode) -> NotebookNode:
    """``nb`` without metadata values of a wrong shape, silently (the plan already warned)."""
    return inspect_notebook(nb)[0]

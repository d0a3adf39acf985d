"""Read notebooks from any format we support into nbformat v4 nodes.

``.ipynb`` files are read with nbformat; every other suffix goes through jupytext (MyST
Markdown, percent scripts, and any other jupytext format), or through a reader function named by
the project (``reader:module.function``, MyST-NB's ``nb_custom_formats``). Whatever MyST-NB reads
is read here too: MyST notebooks whose ``kernelspec`` has only a ``name``, ``:load:`` options of
code cells, ``.ipynb`` files of nbformat 4.0-4.4 (their cells get ids). Every notebook comes back
as nbformat 4.5. Errors name the file and say what to do.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import NotebookReadError

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: Formats named by a compound suffix, which jupytext cannot infer from the last suffix alone.
COMPOUND_SUFFIXES: dict[str, str] = {
    ".pct.py": "py:percent",
    ".myst.md": "md:myst",
}

#: The ``reader`` value that means "choose from the file's suffix".
AUTO = "auto"

#: Prefix of a reader format naming a function: ``reader:pkg.mod.func`` or
#: ``reader:pkg.mod.func:{"json": "keyword arguments"}``; the function takes the text.
READER_PREFIX = "reader:"

#: Format names that mean a MyST Markdown notebook (MyST-NB's and jupytext's spellings)
_MYST_FORMATS = frozenset({"md:myst", "myst", "mystnb", "md:mystnb"})


def guess_format(path: str | os.PathLike[str]) -> str:
    """Return the reader format for ``path``: ``"ipynb"`` or a jupytext format string.

    :param path: a notebook file.
    :returns: ``"ipynb"``, or e.g. ``"py:percent"``, ``"md:myst"``, or a bare extension such as
        ``"md"`` that jupytext resolves from the file's content.
    """
    name = Path(path).name.lower()
    for suffix, fmt in COMPOUND_SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    suffix = Path(name).suffix
    if suffix == ".ipynb":
        return "ipynb"
    if not suffix:
        raise NotebookReadError(
            f"{path}: cannot tell the notebook format of a file without a suffix; "
            "rename it (e.g. .ipynb, .md, .pct.py) or give the format explicitly"
        )
    return suffix.lstrip(".")


def read_notebook(path: str | os.PathLike[str], fmt: str = AUTO) -> NotebookNode:
    """Read a notebook file as an nbformat v4 notebook.

    :param path: the file to read.
    :param fmt: ``"auto"`` (from the suffix), ``"ipynb"``, or a jupytext format (``"md:myst"``).
    :returns: the notebook; text formats come back without outputs.
    :raises NotebookReadError: the file is missing, unreadable, not a notebook, or of an unknown
        format. The message names the file and what to do.
    """
    path = Path(path)
    if fmt == AUTO:
        fmt = guess_format(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotebookReadError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise NotebookReadError(f"{path}: is a folder, not a notebook file") from None
    except UnicodeDecodeError as exc:
        raise NotebookReadError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the notebook as UTF-8"
        ) from None
    except OSError as exc:
        raise NotebookReadError(f"{path}: cannot be read: {exc.strerror}") from None
    return read_notebook_text(text, fmt, source=str(path))


def read_notebook_text(text: str, fmt: str, source: str = "<string>") -> NotebookNode:
    """Parse notebook text already in memory; see :func:`read_notebook`."""
    if fmt == "ipynb":
        nb = _read_ipynb(text, source)
    elif fmt.startswith(READER_PREFIX):
        nb = _read_with_function(text, fmt, source)
    elif fmt in _MYST_FORMATS:
        nb = _read_jupytext(_complete_front_matter(text), "md:myst", source)
        _load_cell_files(nb, source)
    elif fmt == "md" or fmt.startswith("md:"):  # a Markdown notebook of another flavour
        nb = _read_jupytext(_complete_front_matter(text), fmt, source)
        _load_cell_files(nb, source)
    else:
        nb = _read_jupytext(text, fmt, source)
    return upgrade_to_current(nb)


def upgrade_to_current(nb: NotebookNode) -> NotebookNode:
    """``nb`` as nbformat 4.5: cells of older 4.x notebooks get ids (from their position).

    Ids are derived, not random, so that reading a file twice gives the same notebook.
    """
    if nb.get("nbformat") == 4 and nb.get("nbformat_minor", 0) < 5:
        nb["nbformat_minor"] = 5
    seen: set[str] = set()
    for index, cell in enumerate(nb.get("cells", [])):
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not cell_id or cell_id in seen:
            cell_id = f"cell-{index}"
            while cell_id in seen:
                cell_id += "-"
            cell["id"] = cell_id
        seen.add(cell_id)
    return nb


_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL
)


def _complete_front_matter(text: str) -> str:
    """Give a ``kernelspec`` with only ``name`` (or ``display_name``) the other, as MyST-NB does.

    nbformat's schema requires both; MyST-NB and jupytext users commonly write only the name.
    """
    match = _FRONT_MATTER.match(text)
    if not match or "kernelspec" not in (match.group(1) or ""):
        return text
    import yaml  # jupytext's dependency

    try:
        front = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError:
        return text  # jupytext reports it, with its line
    spec = front.get("kernelspec") if isinstance(front, dict) else None
    if not isinstance(spec, dict) or ("name" in spec) == ("display_name" in spec):
        return text
    spec.setdefault("display_name", spec.get("name"))
    spec.setdefault("name", spec.get("display_name"))
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
    return "---\n" + dumped + "---\n" + text[match.end() :]


def _load_cell_files(nb: NotebookNode, source: str) -> None:
    """Replace the source of code cells with a ``load`` option by that file's content.

    The path is relative to the notebook, as in MyST-NB (``:load: script.py``).
    """
    for index, cell in enumerate(nb.cells):
        name = cell.get("metadata", {}).get("load")
        if cell.get("cell_type") != "code" or not name:
            continue
        if source == "<string>":
            raise NotebookReadError(
                f"{source}: code cell {index + 1} has ':load: {name}' but the notebook has no "
                "path to resolve it from; read it from its file"
            )
        path = Path(source).parent / str(name)
        try:
            cell["source"] = path.read_text(encoding="utf-8").rstrip("\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise NotebookReadError(
                f"{source}: code cell {index + 1}: cannot load {path} ({reason}); "
                "fix the ':load:' path (it is relative to the notebook)"
            ) from None


def parse_reader_format(fmt: str) -> tuple[str, dict[str, Any]]:
    """Split ``reader:pkg.mod.func[:{json}]`` into the function path and its keyword arguments.

    :raises NotebookReadError: the keyword arguments are not a JSON object.
    """
    rest = fmt[len(READER_PREFIX) :]
    dotted, _, kwargs_text = rest.partition(":")
    kwargs: Any = {}
    if kwargs_text:
        try:
            kwargs = json.loads(kwargs_text)
        except json.JSONDecodeError:
            kwargs = None
        if not isinstance(kwargs, dict):
            raise NotebookReadError(
                f"the keyword arguments of reader {dotted!r} are not a JSON object: {kwargs_text}"
            )
    return dotted, kwargs


def reader_format(dotted: str, kwargs: Mapping[str, Any] | None = None) -> str:
    """The format string naming reader function ``dotted`` with ``kwargs``."""
    if not kwargs:
        return READER_PREFIX + dotted
    return READER_PREFIX + dotted + ":" + json.dumps(dict(kwargs), sort_keys=True)


def _read_with_function(text: str, fmt: str, source: str) -> NotebookNode:
    import nbformat  # here: a no-op build imports none of it

    try:
        dotted, kwargs = parse_reader_format(fmt)
    except NotebookReadError as exc:
        raise NotebookReadError(f"{source}: {exc}") from None
    module_name, _, attr = dotted.rpartition(".")
    try:
        function = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise NotebookReadError(
            f"{source}: reader {dotted!r} cannot be imported ({_first_line(exc)}); "
            "install its package or fix the name in nb_custom_formats / nbcache_custom_formats"
        ) from None
    try:
        nb = function(text, **kwargs)
    except Exception as exc:
        raise NotebookReadError(f"{source}: reader {dotted!r} failed: {_first_line(exc)}") from None
    if isinstance(nb, Mapping) and not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.from_dict(nb)
    if not isinstance(nb, nbformat.NotebookNode) or "cells" not in nb:
        raise NotebookReadError(
            f"{source}: reader {dotted!r} returned {type(nb).__name__}, not a notebook"
        )
    if nb.get("nbformat") != 4:
        nb = nbformat.convert(nb, 4)
    return nb


def _read_ipynb(text: str, source: str) -> NotebookNode:
    import nbformat  # here: a no-op build imports none of it

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookReadError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
            "fix the file or re-save it from Jupyter"
        ) from None
    if not isinstance(data, dict) or ("cells" not in data and "worksheets" not in data):
        raise NotebookReadError(f"{source}: valid JSON but not a Jupyter notebook (no 'cells')")
    if _add_missing_ids(data):
        text = json.dumps(data)
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for bad documents
        raise NotebookReadError(f"{source}: not a valid notebook: {_first_line(exc)}") from None
    return nb


def _add_missing_ids(data: dict[str, Any]) -> bool:
    """Give the cells of an nbformat 4.5+ notebook the ids it lacks (written by a tool that
    forgot them); ``True`` if any was added.

    nbformat would otherwise warn on every read (``MissingIDFieldWarning``, with no file
    named) and leave them missing. The ids are the cells' positions, so reading the file
    twice gives the same notebook; they are not part of the cache key.
    """
    cells = data.get("cells")
    minor = data.get("nbformat_minor")
    if data.get("nbformat") != 4 or not isinstance(minor, int) or minor < 5:
        return False
    if not isinstance(cells, list):
        return False
    missing = [c for c in cells if isinstance(c, dict) and "id" not in c]
    if not missing:
        return False
    taken = {c.get("id") for c in cells if isinstance(c, dict)}
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and "id" not in cell:
            ident, n = f"cell-{index}", 0
            while ident in taken:
                n += 1
                ident = f"cell-{index}-{n}"
            cell["id"] = ident
            taken.add(ident)
    return True


def _read_jupytext(text: str, fmt: str, source: str) -> NotebookNode:
    import jupytext  # deferred: jupytext imports a lot and .ipynb does not need it

    ext = fmt.split(":", 1)[0]
    fmt_arg: str | dict[str, str] = fmt if ":" in fmt else {"extension": "." + ext}
    try:
        nb = jupytext.reads(text, fmt=fmt_arg)
    except jupytext.formats.JupytextFormatError as exc:
        raise NotebookReadError(
            f"{source}: unknown notebook format {fmt!r}: {exc}; "
            "use .ipynb or a jupytext format such as md:myst or py:percent"
        ) from None
    except Exception as exc:
        hint = ""
        if ext == "md":
            hint = "; fix the YAML front matter, the '+++' cell metadata or the cell's options"
        raise NotebookReadError(
            f"{source}: cannot be read as {fmt!r}: {_first_line(exc)}{hint}"
        ) from None
    return nb


def _first_line(exc: Exception) -> str:
    """The first line of an error: jsonschema's validation errors go on for a page."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def is_text_notebook(path: str | os.PathLike[str]) -> bool:
    """Whether a Markdown file is a notebook (jupytext or kernelspec front matter).

    A plain ``.md`` page is not a notebook: it is rendered by myst-parser alone.
    """
    try:
        head = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return text_has_notebook_front_matter(head)


def text_has_notebook_front_matter(text: str) -> bool:
    """Whether ``text`` opens with YAML front matter naming ``jupytext`` or ``kernelspec``.

    MyST-NB's own marker, ``file_format: mystnb``, counts too.
    """
    if not text.startswith("---"):
        return False
    end = text.find("\n---", 3)
    if end < 0:
        return False
    front = text[3:end]
    return any(
        line.startswith(("jupytext:", "kernelspec:"))
        or re.match(r"file_format:\s*['\"]?mystnb['\"]?\s*$", line)
        for line in front.splitlines()
    )


def cell_source_lines(text: str, fmt: str) -> list[int] | None:
    """The 1-based line of the file where each cell's source begins, for MyST notebooks.

    A side-table beside the notebook, never part of it: the cells, their metadata and so the
    cache key stay as :func:`read_notebook_text` gives them. A markdown cell's line is its
    first non-blank line; a code or raw cell's is its first line after the fence and options.

    :returns: one line per cell of ``read_notebook_text(text, fmt)``, or ``None`` for formats
        whose cells have no stable file line (``.ipynb``: locations there are cell numbers).
    """
    if fmt not in _MYST_FORMATS and fmt not in ("md", "md:myst"):
        return None
    try:
        from jupytext.myst import myst_to_notebook

        completed = _complete_front_matter(text)
        nb = myst_to_notebook(completed, add_source_map=True)
    except Exception:  # the read itself reports what is wrong, with its line
        return None
    lines = text.splitlines()
    # completing the front matter may change its length, never the body's
    shift = len(lines) - len(completed.splitlines())
    found: list[int] = []
    for start, cell in zip(nb.metadata.get("source_map", []), nb.cells, strict=False):
        first = _first_source_line(cell.get("source", ""))
        start = max(start + shift, 0)
        index = start
        if first:  # the cell's first line, searched from where jupytext says the cell starts
            index = next((i for i in range(start, len(lines)) if lines[i] == first), start)
        found.append(index + 1)
    return found if len(found) == len(nb.cells) else None


def _first_source_line(source: str | list[str]) -> str:
    text = "".join(source) if isinstance(source, list) else source
    return text.split("\n", 1)[0]

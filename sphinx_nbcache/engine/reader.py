"""Read notebooks from any format we support into nbformat v4 nodes.

``.ipynb`` files are read with nbformat; every other suffix goes through jupytext (MyST
Markdown, percent scripts, and any other jupytext format). Errors name the file and say what to do.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .errors import NotebookReadError

#: Formats named by a compound suffix, which jupytext cannot infer from the last suffix alone.
COMPOUND_SUFFIXES: dict[str, str] = {
    ".pct.py": "py:percent",
    ".myst.md": "md:myst",
}

#: The ``reader`` value that means "choose from the file's suffix".
AUTO = "auto"


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
        return _read_ipynb(text, source)
    return _read_jupytext(text, fmt, source)


def _read_ipynb(text: str, source: str) -> NotebookNode:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookReadError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
            "fix the file or re-save it from Jupyter"
        ) from None
    if not isinstance(data, dict) or ("cells" not in data and "worksheets" not in data):
        raise NotebookReadError(f"{source}: valid JSON but not a Jupyter notebook (no 'cells')")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for bad documents
        raise NotebookReadError(f"{source}: not a valid notebook: {_first_line(exc)}") from None
    return nb


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
        raise NotebookReadError(
            f"{source}: cannot be read as {fmt!r}: {_first_line(exc)}"
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
    """Whether ``text`` opens with YAML front matter naming ``jupytext`` or ``kernelspec``."""
    if not text.startswith("---"):
        return False
    end = text.find("\n---", 3)
    if end < 0:
        return False
    front = text[3:end]
    return any(line.startswith(("jupytext:", "kernelspec:")) for line in front.splitlines())

"""A notebook as ONE markdown-it token stream.

Markdown cells are parsed by the MyST parser; code and raw cells become single tokens that the
renderer turns into nodes. One stream means one section tree across cells. Block parsing runs
cell by cell first and inline parsing once over the whole stream afterwards, so that a link
definition in a later cell resolves a reference in an earlier one (the way MyST-NB does it).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

if TYPE_CHECKING:
    from nbformat import NotebookNode

CODE_CELL = "nbcache_code_cell"
RAW_CELL = "nbcache_raw_cell"
MARKDOWN_CELL = "nbcache_markdown_cell"

_BLOCK_PHASE = ("normalize", "block")


def cell_line(index: int, source_lines: Sequence[int] | None = None) -> int:
    """The line reported for cell ``index``.

    In a MyST Markdown notebook, the file line where the cell's source begins
    (``source_lines``, from :func:`sphinx_nbcache.engine.reader.cell_source_lines`), as
    MyST-NB reports it; elsewhere (``.ipynb``) its 1-based position in the notebook, the
    location users can find in Jupyter.
    """
    if source_lines is not None and 0 <= index < len(source_lines):
        return source_lines[index]
    return index + 1


def _source(cell: NotebookNode) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def notebook_to_tokens(
    nb: NotebookNode,
    md: MarkdownIt,
    md_env: MutableMapping[str, Any],
    source_lines: Sequence[int] | None = None,
) -> list[Token]:
    """The token stream of ``nb``; each token's ``map`` is its line, 0-based.

    With ``source_lines`` (one per cell), a token's line is its line in the file; without,
    every token of a cell has the cell's number (see :func:`cell_line`).
    ``meta["index"]`` of the cell tokens is the cell's index in ``nb.cells``.
    """
    if source_lines is not None and len(source_lines) != len(nb.cells):
        source_lines = None  # not this notebook's cells: numbers rather than wrong lines
    tokens: list[Token] = []
    for index, cell in enumerate(nb.cells):
        # markdown-it maps are 0-based; the renderer adds one
        line = cell_line(index, source_lines) - 1
        kind = cell.get("cell_type")
        if kind == "markdown":
            with md.reset_rules():
                md.core.ruler.enableOnly(list(_BLOCK_PHASE))
                cell_tokens = md.parse(_source(cell) + "\n", md_env)
            for token in cell_tokens:
                if token.map and source_lines is not None:  # lines within the cell's text
                    token.map = [line + token.map[0], line + token.map[1]]
                elif token.map:
                    token.map = [line, line + 1]
            opening = Token(f"{MARKDOWN_CELL}_open", "", 1, map=[line, line + 1], hidden=True)
            opening.meta = {"index": index}
            closing = Token(f"{MARKDOWN_CELL}_close", "", -1, hidden=True)
            tokens.append(opening)
            # front matter belongs to the file, not a cell (jupytext keeps it in metadata)
            tokens.extend(t for t in cell_tokens if t.type != "front_matter")
            tokens.append(closing)
        elif kind in ("code", "raw"):
            token = Token(CODE_CELL if kind == "code" else RAW_CELL, "", 0, map=[line, line + 1])
            token.content = _source(cell)
            token.meta = {"index": index}
            tokens.append(token)
    # the inline phase (and every core rule after it) over the whole stream
    state = StateCore("", md, md_env, tokens)
    with md.reset_rules():
        md.core.ruler.disable(list(_BLOCK_PHASE))
        md.core.process(state)
    return state.tokens

"""A notebook as ONE markdown-it token stream.

Markdown cells are parsed by the MyST parser; code and raw cells become single tokens that the
renderer turns into nodes. One stream means one section tree across cells. Block parsing runs
cell by cell first and inline parsing once over the whole stream afterwards, so that a link
definition in a later cell resolves a reference in an earlier one (the way MyST-NB does it).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from nbformat import NotebookNode

CODE_CELL = "nbcache_code_cell"
RAW_CELL = "nbcache_raw_cell"
MARKDOWN_CELL = "nbcache_markdown_cell"

_BLOCK_PHASE = ("normalize", "block")


def cell_line(index: int) -> int:
    """The line reported for cell ``index``: its 1-based position in the notebook.

    Cells of a notebook have no source lines in common between formats; the cell number is the
    location users can find in any of them.
    """
    return index + 1


def _source(cell: NotebookNode) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def notebook_to_tokens(
    nb: NotebookNode, md: MarkdownIt, md_env: MutableMapping[str, Any]
) -> list[Token]:
    """The token stream of ``nb``; each token's ``map`` is the line of its cell, 0-based.

    ``meta["index"]`` of the cell tokens is the cell's index in ``nb.cells``.
    """
    tokens: list[Token] = []
    for index, cell in enumerate(nb.cells):
        # markdown-it maps are 0-based; the renderer adds one
        line = cell_line(index) - 1
        kind = cell.get("cell_type")
        if kind == "markdown":
            with md.reset_rules():
                md.core.ruler.enableOnly(list(_BLOCK_PHASE))
                cell_tokens = md.parse(_source(cell) + "\n", md_env)
            for token in cell_tokens:
                if token.map:
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

"""What a failed notebook's page says about the failure: a short error box.

A cell error shows its traceback at the cell, as any exception output does. A failure with no
output of its own (a timeout, a kernel that died or is not installed, a file that cannot be
read) would leave a page that looks complete: the box says what happened, at the failing
cell or at the top of the page.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from sphinx_nbcache.engine import Outcome, Status

from .doc_outcome import DocOutcome
from .state import env_state

if TYPE_CHECKING:
    from nbformat import NotebookNode

logger = logging.getLogger(__name__)

#: the class of every failure box (themes and tests find it by this name)
FAILURE_CLASS = "nbcache-failure"

#: where a reading error locates itself ("invalid JSON at line 3, column 1")
_AT_LINE = re.compile(r"\bat line (\d+)")


def failure_box(text: str) -> nodes.error:
    """An error admonition holding ``text`` (quoted names as written, not curled)."""
    box = nodes.error("", nodes.paragraph(text, text), classes=[FAILURE_CLASS])
    box["support_smartquotes"] = False
    return box


def _insert_at_top(document: nodes.document, box: nodes.Element) -> None:
    """``box`` under the page's title (or first, on a page without one)."""
    section = next(iter(document.findall(nodes.section)), None)
    if section is not None and section.children and isinstance(section[0], nodes.title):
        section.insert(1, box)
    else:
        document.insert(0, box)


def _cell_node(document: nodes.document, index: int) -> nodes.Element | None:
    for node in document.findall(nodes.container):
        if "nbcache-cell-code" in node["classes"] and node.get("nbcache_cell_index") == index:
            return node
    return None


def _shows_error(nb: NotebookNode, index: int) -> bool:
    if not 0 <= index < len(nb.cells):
        return False
    outputs = nb.cells[index].get("outputs", [])
    return any(out.get("output_type") == "error" for out in outputs)


def add_failure_box(
    env: BuildEnvironment, docname: str, document: nodes.document, nb: NotebookNode
) -> None:
    """After rendering: the failure box of ``docname``, unless the page shows the error."""
    doc = env_state(env).data.get(docname)
    if doc is None or doc.status is not Status.FAILED or not doc.outcome.error:
        return
    index = doc.outcome.cell_index
    if isinstance(index, int) and _shows_error(nb, index):
        return  # the traceback is on the page, at its cell
    where = " completely" if isinstance(index, int) else ""
    box = failure_box(f"This notebook was not executed{where}: {doc.outcome.error}")
    cell = _cell_node(document, index) if isinstance(index, int) else None
    if cell is not None and cell.parent is not None:
        cell.parent.insert(cell.parent.index(cell) + 1, box)
    else:
        _insert_at_top(document, box)


def unreadable_page(
    env: BuildEnvironment, docname: str, document: nodes.document, reason: str
) -> None:
    """The page of a notebook that cannot be read: a located warning and the box saying why.

    Its row in ``nbcache-report.json`` is kept with the document's data, as for every notebook.
    """
    match = _AT_LINE.search(reason)
    line = int(match.group(1)) if match else 1
    # an unreadable notebook is a failed notebook: one switch (nbcache.exec) for all
    logger.warning(reason, type="nbcache", subtype="exec", location=(docname, line))
    state = env_state(env)
    doc = state.outcomes.get(docname) or DocOutcome(
        Outcome(
            name=docname,
            source=str(env.doc2path(docname, False)),
            status=Status.FAILED,
            reason="unreadable",
        )
    )
    state.data[docname] = doc.with_outcome(status=Status.FAILED, error=reason).kept()
    # the page names no path of the machine that built it
    shown = reason.removeprefix(f"{env.doc2path(docname)}: ")
    _insert_at_top(document, failure_box(f"This notebook could not be read: {shown}"))

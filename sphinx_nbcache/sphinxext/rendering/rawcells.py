"""reStructuredText raw cells, parsed into the notebook's page.

myst-parser's own ``render_restructuredtext`` keeps the ids the nested parse gave its
targets: a ``.. _reST:`` target in a raw cell under a ``### reST`` heading then claims the
section's id ``rest`` a second time (a "Duplicate ID" error; nbsphinx's docs do exactly
this). Here a target whose id is taken gets a fresh one from the page instead, and the
cell's named references are registered with the page, so that they reach their URI.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from markdown_it.tree import SyntaxTreeNode
from myst_parser.mdit_to_docutils.base import make_document, token_line
from myst_parser.mocking import MockRSTParser


def render_rst_cell(renderer: Any, token: SyntaxTreeNode) -> None:
    """Parse ``token.content`` as reST and append the nodes to the renderer's current node."""
    document = renderer.document
    newdoc = make_document()
    newdoc["source"] = document["source"]
    newdoc.settings = document.settings
    newdoc.reporter = renderer.reporter
    # padded so that reported lines are the cell's
    MockRSTParser().parse("\n" * token_line(token) + token.content, newdoc)
    for node in newdoc:
        if node["names"]:
            node["ids"] = [i for i in node["ids"] if i not in document.ids]
            document.note_explicit_target(node, node)
    # named references (``reST_``) must be known to the page, or docutils' ExternalTargets
    # never gives them their target's URI
    for ref in newdoc.findall(nodes.reference):
        if "refname" in ref:
            document.note_refname(ref)
    renderer.current_node.extend(newdoc.children)

"""``<div class="alert alert-info">`` boxes of notebooks become note and warning admonitions.

Jupyter shows these divs as coloured boxes; nbsphinx turns them into admonitions (``info`` is
a note, ``warning`` a warning), and so do we, so that they show in every builder. In Markdown
the opening ``<div ...>`` and the closing ``</div>`` are raw HTML blocks of their own (a blank
line ends an HTML block), with the box's Markdown content as the nodes between them; one
closing block may close several nested boxes (``</div>\\n</div>``).
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util.docutils import SphinxDirective

from ..sources import notebook_format

_START = re.compile(
    r"\s*<div\s+class\s*=\s*([\"'])\s*alert\s+alert-(info|warning)\s*\1\s*>\s*\Z", re.IGNORECASE
)
_END = re.compile(r"\s*(?:</div\s*>\s*)+\Z", re.IGNORECASE)
_KINDS = {"info": "note", "warning": "warning"}


def _html(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.raw) and "html" in node.get("format", "").split():
        return node.astext()
    return None


def _admonition(kind: str, content: list[nodes.Node]) -> nodes.Element:
    """A titled admonition when the box starts with a one-line paragraph (nbsphinx's "Note")."""
    first = content[0] if content else None
    if (
        len(content) >= 2
        and isinstance(first, nodes.paragraph)
        and "\n" not in first.astext().strip()
    ):
        title = nodes.title(first.rawsource, "", *first.children)
        node: nodes.Element = nodes.admonition("", title, *content[1:], classes=[kind])
    else:
        node = (nodes.note if kind == "note" else nodes.warning)("", *content)
    return node


class ReplaceAlertDivs(SphinxTransform):
    """Replace ``alert-info`` / ``alert-warning`` divs by admonitions, nested ones too."""

    default_priority = 500

    def apply(self, **kwargs: Any) -> None:
        if notebook_format(self.config, self.env.doc2path(self.env.docname)) is None:
            return
        parents = {
            id(n.parent): n.parent
            for n in self.document.findall(nodes.raw)
            if n.parent is not None and (html := _html(n)) and _START.match(html)
        }
        for parent in parents.values():
            self._replace_in(parent)

    @staticmethod
    def _replace_in(parent: nodes.Element) -> None:
        # a stack of open boxes: (kind, children so far); the bottom holds the parent's own
        stack: list[tuple[str, list[nodes.Node], nodes.Node | None]] = [("", [], None)]
        for child in list(parent.children):
            html = _html(child)
            start = _START.match(html) if html is not None else None
            if start:
                stack.append((_KINDS[start.group(2).lower()], [], child))
                continue
            if html is not None and _END.match(html) and len(stack) > 1:
                closes = html.lower().count("</div")
                while closes and len(stack) > 1:
                    kind, content, _ = stack.pop()
                    stack[-1][1].append(_admonition(kind, content))
                    closes -= 1
                if closes:
                    # more closing tags than boxes: keep the rest for the HTML it belongs to
                    stack[-1][1].append(nodes.raw("", "</div>\n" * closes, format="html"))
                continue
            stack[-1][1].append(child)
        # unclosed boxes stay as they were written
        while len(stack) > 1:
            _, content, opening = stack.pop()
            stack[-1][1].extend([opening, *content])
        parent.children = []
        parent.extend(stack[0][1])


class NbInfo(SphinxDirective):
    """nbsphinx's ``.. nbinfo::`` (and :class:`NbWarning`): the same boxes, from reST pages."""

    has_content = True
    kind = "note"

    def run(self) -> list[nodes.Node]:
        holder = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, holder)
        node = _admonition(self.kind, list(holder.children))
        self.set_source_info(node)
        return [node]


class NbWarning(NbInfo):
    """nbsphinx's ``.. nbwarning::``."""

    kind = "warning"


#: directive name -> class, registered by the rendering setup
DIRECTIVES: dict[str, type[SphinxDirective]] = {"nbinfo": NbInfo, "nbwarning": NbWarning}

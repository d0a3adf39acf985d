"""Markdown cells whose links become a toctree (or a gallery), as nbsphinx makes them.

A markdown cell with ``nbsphinx-toctree`` (or ``nbsphinx-gallery``) in its metadata or tags is
not shown as text: its links become the entries of a ``toctree`` (or ``nbgallery``) directive,
the metadata's mapping gives the directive's options (``maxdepth``, ``caption``, ``hidden``,
``numbered``, ``titlesonly``, ``reversed``...; ``true`` is a flag, ``false`` leaves it out)
and the cell's first heading, if any, is the caption unless one is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

from markdown_it.tree import SyntaxTreeNode

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: cell metadata key or tag -> directive; the first present wins (nbsphinx's precedence)
KINDS: tuple[tuple[str, str], ...] = (
    ("nbsphinx-gallery", "nbgallery"),
    ("nbsphinx-toctree", "toctree"),
    ("nbsphinx-link-gallery", "nblinkgallery"),
)


class LinkCellRenderer(Protocol):
    """What :func:`render_link_cell` needs of the renderer."""

    def nested_render_text(self, text: str, lineno: int) -> None: ...

    def warn(self, message: str, subtype: str, line: int) -> None: ...


def link_cell_kind(cell: Mapping[str, Any]) -> tuple[str, Any] | None:
    """``(directive, options)`` for a toctree or gallery cell, else ``None``."""
    metadata = cell.get("metadata") or {}
    tags = metadata.get("tags") or []
    for key, directive in KINDS:
        if key in metadata:
            return directive, metadata[key]
        if key in tags:
            return directive, {}
    return None


def _text(node: SyntaxTreeNode) -> str:
    if node.type in ("text", "code_inline"):
        return node.content
    return "".join(_text(child) for child in node.children)


def _walk(node: SyntaxTreeNode):  # type: ignore[no-untyped-def]
    yield node
    for child in node.children:
        yield from _walk(child)


def links_and_heading(token: SyntaxTreeNode) -> tuple[list[tuple[str, str]], str | None]:
    """The ``(title, target)`` of every link in the cell, and its first heading's text."""
    links: list[tuple[str, str]] = []
    heading: str | None = None
    for node in _walk(token):
        if node.type == "heading" and heading is None:
            heading = _text(node).strip()
        elif node.type == "link":
            href = unquote(str(node.attrGet("href") or ""))
            if href:
                links.append((_text(node).strip(), href))
    return links, heading


def directive_text(
    directive: str, options: Mapping[str, Any], heading: str | None, links: list[tuple[str, str]]
) -> str:
    """The MyST text of the directive."""
    lines = ["```{" + directive + "}"]
    for name, value in options.items():
        if value is True:
            lines.append(f":{name}:")
        elif value is not False and value is not None:
            lines.append(f":{name}: {value}")
    if "caption" not in options and heading:
        lines.append(f":caption: {heading}")
    lines.append("")
    for title, target in links:
        # a title with angle brackets would be taken for the target
        title = title.replace("<", "").replace(">", "").strip()
        lines.append(f"{title} <{target}>" if title else target)
    lines.append("```")
    return "\n".join(lines) + "\n"


def render_link_cell(
    renderer: LinkCellRenderer, cell: NotebookNode, token: SyntaxTreeNode, line: int
) -> bool:
    """Render a toctree or gallery cell in place of its text; ``False`` if it is not one."""
    kind = link_cell_kind(cell)
    if kind is None:
        return False
    directive, options = kind
    if not isinstance(options, Mapping):
        key = next(k for k, d in KINDS if d == directive)
        renderer.warn(
            f"{key} cell metadata must be a mapping of options, not {options!r}; "
            "the cell's links are listed without options",
            "toctree",
            line,
        )
        options = {}
    links, heading = links_and_heading(token)
    renderer.nested_render_text(directive_text(directive, options, heading, links), line - 1)
    return True

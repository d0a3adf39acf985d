"""nbconvert's HTML citations in notebook prose become ``sphinxcontrib-bibtex`` citations.

nbconvert (and nbsphinx after it) read any inline HTML tag with a ``data-cite`` attribute,
``<cite data-cite="key">(Author 2016)</cite>``, as a citation of ``key``: the tag's text is
what Jupyter shows, the bibliography decides what the built page shows. MyST keeps such tags
as raw HTML, so this transform replaces the opening tag, its text and its closing tag by the
output of the bibtex role, as nbsphinx does:

- ``data-cite`` -> ``:cite:``, ``data-footcite`` -> ``:footcite:``, and the suffixed forms
  (``data-cite-t``, ``data-footcite-ps``...) -> ``:cite:t:``, ``:footcite:ps:``...

Without ``sphinxcontrib.bibtex`` (no such role), the tags stay as they are: HTML pages show
the text Jupyter shows.
"""

from __future__ import annotations

import html.parser
from typing import Any

from docutils import nodes
from docutils.parsers.rst import roles
from docutils.parsers.rst.states import Inliner
from sphinx.errors import ExtensionError
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from ..sources import notebook_format

logger = logging.getLogger(__name__)

#: HTML attribute -> bibtex role
CITE_ROLES: dict[str, str] = {"data-cite": "cite", "data-footcite": "footcite"}
CITE_ROLES.update(
    {
        f"{attribute}-{suffix}": f"{role}:{suffix}"
        for attribute, role in list(CITE_ROLES.items())
        for suffix in ("p", "ps", "t", "ts", "ct", "cts")
    }
)


class _Tag(html.parser.HTMLParser):
    """The one tag of a raw inline HTML fragment: its name, citation and kind."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.name = ""
        self.kind = ""  # "start", "end" or "startend"
        self.role = ""
        self.keys = ""
        self.count = 0

    def _attrs(self, attrs: list[tuple[str, str | None]]) -> None:
        for attribute, value in attrs:
            if attribute in CITE_ROLES and value:
                self.role, self.keys = CITE_ROLES[attribute], value
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.count += 1
        self.name, self.kind = tag, "start"
        self._attrs(attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.count += 1
        self.name, self.kind = tag, "startend"
        self._attrs(attrs)

    def handle_endtag(self, tag: str) -> None:
        self.count += 1
        self.name, self.kind = tag, "end"


def parse_tag(text: str) -> _Tag | None:
    """The tag of ``text`` if it is exactly one HTML tag, else ``None``."""
    if not text.strip().startswith("<"):
        return None
    tag = _Tag()
    tag.feed(text.strip())
    tag.close()
    return tag if tag.count == 1 else None


def _closing(parent: nodes.Element, start: int, name: str) -> int | None:
    """The index of the raw node closing tag ``name`` after ``start``, among its siblings."""
    depth = 0
    for index in range(start + 1, len(parent)):
        child = parent[index]
        if not (isinstance(child, nodes.raw) and "html" in child.get("format", "").split()):
            continue
        tag = parse_tag(child.astext())
        if tag is None or tag.name != name:
            continue
        if tag.kind == "start":
            depth += 1
        elif tag.kind == "end":
            if not depth:
                return index
            depth -= 1
    return None


class NotebookCitations(SphinxTransform):
    """Replace ``<tag data-cite="key">...</tag>`` in notebook prose by bibtex citations."""

    # before the std domain's and bibtex's own transforms see the document
    default_priority = 210

    def apply(self, **kwargs: Any) -> None:
        if notebook_format(self.config, self.env.doc2path(self.env.docname)) is None:
            return
        for raw in list(self.document.findall(nodes.raw)):
            if raw.parent is None or "html" not in raw.get("format", "").split():
                continue
            tag = parse_tag(raw.astext())
            if tag is None or not tag.role or tag.kind == "end":
                continue
            self._replace(raw, tag)

    def _role(self, name: str, line: int) -> Any:
        """bibtex's role ``name``, or ``None`` without sphinxcontrib-bibtex."""
        # its domains (``cite``, ``footcite``) say whether it is loaded, without the warning
        # an unknown role name gives
        try:
            self.env.get_domain(name.split(":")[0])
        except ExtensionError:
            return None
        role, _messages = roles.role(name, None, line, self.document.reporter)  # type: ignore[arg-type]
        return role

    def _replace(self, raw: nodes.raw, tag: _Tag) -> None:
        parent = raw.parent
        start = parent.index(raw)
        end = start if tag.kind == "startend" else _closing(parent, start, tag.name)
        line = raw.line or (parent.line if isinstance(parent, nodes.Element) else None) or 0
        if end is None:
            logger.warning(
                "<%s %s> citation of %r is not closed; it is shown as HTML",
                tag.name,
                next(a for a, r in CITE_ROLES.items() if r == tag.role),
                tag.keys,
                type="nbcache",
                subtype="citation",
                location=(self.env.docname, line),
            )
            return
        role = self._role(tag.role, line)
        if role is None:
            return  # no sphinxcontrib-bibtex: the HTML shows the author's text
        rawtext = "".join(child.astext() for child in parent[start : end + 1])
        inliner = Inliner()
        inliner.init_customizations(self.document.settings)
        inliner.document, inliner.reporter = self.document, self.document.reporter
        inliner.parent = parent
        made, messages = role(tag.role, rawtext, tag.keys, line, inliner, {}, [])
        for child in list(parent[start : end + 1]):
            parent.remove(child)
        for offset, node in enumerate([*made, *messages]):
            parent.insert(start + offset, node)

r"""``\eqref{label}`` and ``\ref{label}`` in notebook prose become math, as pandoc makes them.

Jupyter (with MathJax's equation numbering) and nbsphinx read a bare ``\eqref{golden-mean}``
in a markdown cell as TeX; MyST leaves it as text, which MathJax is told to ignore. As inline
math, MathJax resolves it against the ``\label`` of an ``equation`` block in HTML (when the
project numbers equations, e.g. ``mathjax3_config = {"tex": {"tags": "ams"}}``), and LaTeX
against any notebook's.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.transforms import SphinxTransform

from ..sources import notebook_format

_REF = re.compile(r"\\(?:eq)?ref\{[^{}\s]+\}")
#: text inside these stays as written
_VERBATIM = (nodes.FixedTextElement, nodes.literal, nodes.math, nodes.raw, nodes.Inline)


class EquationReferences(SphinxTransform):
    r"""Turn ``\eqref{x}`` / ``\ref{x}`` in a notebook's text into inline math."""

    default_priority = 500

    def apply(self, **kwargs: Any) -> None:
        if notebook_format(self.config, self.env.doc2path(self.env.docname)) is None:
            return
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or not _REF.search(text.astext()):
                continue
            if isinstance(parent, _VERBATIM) and not isinstance(
                parent, nodes.emphasis | nodes.strong | nodes.inline
            ):
                continue
            if not isinstance(parent, nodes.TextElement):
                continue
            parts: list[nodes.Node] = []
            source, last = text.astext(), 0
            for match in _REF.finditer(source):
                if match.start() > last:
                    parts.append(nodes.Text(source[last : match.start()]))
                parts.append(nodes.math(match.group(), match.group()))
                last = match.end()
            if last < len(source):
                parts.append(nodes.Text(source[last:]))
            index = parent.index(text)
            parent.remove(text)
            for offset, part in enumerate(parts):
                parent.insert(index + offset, part)

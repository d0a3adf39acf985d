"""Our docutils nodes, and how each builder shows them.

Every node is a module-level class (doctrees are pickled) with plain attributes. The
post-transform :class:`ResolveOutputNodes` replaces the builder-specific ones by standard nodes
(raw HTML for the html builders, literal blocks elsewhere), so that every builder, including
those we never heard of, can write the result.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxTranslator

from ..sphinx_versions import current_builder
from .ansi import ansi_to_html, strip_ansi


class MimeBundle(nodes.General, nodes.Element):
    """One ``display_data``/``execute_result`` output: one :class:`MimeOption` per MIME type.

    The post-transform keeps the best option for the current builder.
    """


class MimeOption(nodes.General, nodes.Element):
    """The rendering of one MIME type of a bundle (attribute ``mime_type``).

    ``formats``, when not empty, lists the builder formats it is meaningful for (raw LaTeX
    is useless in HTML).
    """


class AnsiBlock(nodes.General, nodes.FixedTextElement):
    """Preformatted output text that may hold ANSI colour sequences."""


class Collapsible(nodes.General, nodes.Element):
    """Content that HTML shows folded (``<details>``) under ``summary``; elsewhere shown."""


def _skip(self: SphinxTranslator, node: nodes.Element) -> None:
    # reached only if a post-transform did not run (e.g. a custom builder skipping them)
    raise nodes.SkipNode


def _pass(self: SphinxTranslator, node: nodes.Element) -> None:
    pass


def _visit_collapsible_html(self: Any, node: Collapsible) -> None:
    classes = " ".join(["nbcache-collapsible", *node["classes"]])
    self.body.append(
        f'<details class="{classes}"><summary>{self.encode(node["summary"])}</summary>\n'
    )


def _depart_collapsible_html(self: Any, node: Collapsible) -> None:
    self.body.append("</details>\n")


#: keyword arguments for ``app.add_node`` per node class
VISITORS: dict[type[nodes.Element], dict[str, tuple[Any, Any]]] = {
    MimeBundle: {fmt: (_skip, None) for fmt in ("html", "latex", "text")},
    MimeOption: {fmt: (_skip, None) for fmt in ("html", "latex", "text")},
    AnsiBlock: {fmt: (_skip, None) for fmt in ("html", "latex", "text")},
    Collapsible: {
        "html": (_visit_collapsible_html, _depart_collapsible_html),
        "latex": (_pass, _pass),
        "text": (_pass, _pass),
    },
}


class ResolveOutputNodes(SphinxPostTransform):
    """Replace ANSI blocks (and, outside HTML, collapsibles) by standard nodes."""

    # after the MIME type selection (which may drop some of these nodes)
    default_priority = 2

    def run(self, **kwargs: Any) -> None:
        html = current_builder(self.env).format == "html"
        for node in list(self.document.findall(AnsiBlock)):
            text = node.astext()
            new: nodes.Element
            if html:
                markup = f'<div class="highlight"><pre>{ansi_to_html(text)}</pre></div>\n'
                new = nodes.raw("", markup, format="html", classes=node["classes"])
            else:
                plain = strip_ansi(text)
                new = nodes.literal_block(plain, plain, language="none", classes=node["classes"])
            new.source, new.line = node.source, node.line
            node.replace_self(new)
        if not html:
            for node in list(self.document.findall(Collapsible)):
                node.replace_self(node.children)

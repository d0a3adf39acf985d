"""The glue directives: ``glue`` / ``glue:any``, ``glue:figure``, ``glue:math``, ``glue:md``.

The argument is ``key`` (a value of this notebook) or ``path/to/other.ipynb::key``
(``glue:any`` also takes ``:doc: path``, as in MyST-NB).
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.nodes import make_id
from docutils.parsers.rst import directives as spec
from sphinx.util.docutils import SphinxDirective

from .lookup import glued_value, warn
from .render import PasteContext, block, renderer_of, set_image_options

_IMAGE_OPTIONS = ("alt", "height", "width", "scale", "class")


class PasteDirective(SphinxDirective):
    """What the paste directives share: one argument, the paste context."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False

    def context(self) -> PasteContext:
        return PasteContext(self.env, renderer_of(self.state), self.get_source_info()[0] or "")

    def reference(self) -> str:
        return self.arguments[0]

    def value(self) -> dict[str, Any] | None:
        return glued_value(self.env, self.reference(), self.lineno)


class PasteAnyDirective(PasteDirective):
    """The value as a block, in the best MIME type for the builder."""

    option_spec: ClassVar[dict[str, Any]] = {"doc": spec.unchanged}

    def reference(self) -> str:
        doc = self.options.get("doc")
        return f"{doc}::{self.arguments[0]}" if doc else self.arguments[0]

    def run(self) -> list[nodes.Node]:
        value = self.value()
        return list(block(self.context(), value, self.lineno)) if value is not None else []


def _align(argument: str) -> str:
    return spec.choice(argument, ("left", "center", "right"))


def _figwidth(argument: str) -> str:
    return spec.length_or_percentage_or_unitless(argument, "px")


class FigureMixin(SphinxDirective):
    """A figure around pasted nodes: caption from the content, ``:name:`` for ``{numref}``."""

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "alt": spec.unchanged,
        "height": spec.length_or_unitless,
        "width": spec.length_or_percentage_or_unitless,
        "scale": spec.percentage,
        "class": spec.class_option,
        "figwidth": _figwidth,
        "figclass": spec.class_option,
        "align": _align,
        "name": spec.unchanged,
    }

    def figure(self, content: list[nodes.Element]) -> list[nodes.Node]:
        for node in content:
            options = {k: self.options[k] for k in _IMAGE_OPTIONS if k in self.options}
            set_image_options(node, options)
        figure = nodes.figure("", *content)
        self.set_source_info(figure)
        if "figwidth" in self.options:
            figure["width"] = self.options["figwidth"]
        if self.options.get("figclass"):
            figure["classes"] += self.options["figclass"]
        if "align" in self.options:
            figure["align"] = self.options["align"]
        self.add_name(figure)
        if self.content:
            holder = nodes.Element()
            self.state.nested_parse(self.content, self.content_offset, holder)
            first = holder[0] if len(holder) else None
            if isinstance(first, nodes.paragraph):
                caption = nodes.caption(first.rawsource, "", *first.children)
                caption.source, caption.line = first.source, first.line
                figure += caption
            elif first is not None and not (isinstance(first, nodes.comment) and not len(first)):
                warn(self.env, self.lineno, "glue", "a figure caption must be a paragraph")
            if len(holder) > 1:
                figure += nodes.legend("", *holder[1:])
        return [figure]


class PasteFigureDirective(FigureMixin, PasteDirective):
    """The value in a figure; the content is the caption."""

    def run(self) -> list[nodes.Node]:
        value = self.value()
        if value is None:
            return []
        return self.figure(list(block(self.context(), value, self.lineno)))


class PasteMathDirective(PasteDirective):
    """The ``text/latex`` value as display math; ``:label:`` makes it referable with ``{eq}``."""

    option_spec: ClassVar[dict[str, Any]] = {
        "class": spec.class_option,
        "nowrap": spec.flag,
        "label": spec.unchanged,
        "name": spec.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        value = self.value()
        if value is None:
            return []
        latex = (value.get("data") or {}).get("text/latex")
        if latex is None:
            warn(
                self.env,
                self.lineno,
                "glue",
                "glue key %r has no text/latex value",
                self.arguments[0],
            )
            return []
        latex = "".join(latex) if isinstance(latex, list) else str(latex)
        latex = _strip_math_delimiters(latex)
        label = self.options.get("label", self.options.get("name")) or ""
        node = nodes.math_block(
            latex,
            latex,
            nowrap="nowrap" in self.options,
            label=label or None,
            number=None,
            docname=self.env.docname,
            classes=["pasted-math", *(self.options.get("class") or [])],
        )
        self.set_source_info(node)
        result: list[nodes.Node] = [node]
        if self.config.math_number_all and not label:
            label = f"{self.env.docname}:{self.env.new_serialno('sphinx.ext.math#equations')}"
            node["label"] = label
        if label:
            domain = self.env.domains.math_domain
            domain.note_equation(self.env.docname, label, location=node)
            node["number"] = domain.get_equation_number_for(label)
            target = nodes.target("", "", ids=[make_id(f"equation-{label}")])
            self.state.document.note_explicit_target(target)
            result.insert(0, target)
        return result


def _strip_math_delimiters(latex: str) -> str:
    text = latex.strip()
    for opening, closing in (("$$", "$$"), ("$", "$"), ("\\[", "\\]"), ("\\(", "\\)")):
        if text.startswith(opening) and text.endswith(closing) and len(text) > 2 * len(opening):
            return text[len(opening) : -len(closing)].strip()
    return text


def _markdown_format(argument: str) -> str:
    return spec.choice(argument, ("commonmark", "gfm", "myst"))


class PasteMarkdownDirective(PasteDirective):
    """The ``text/markdown`` value parsed as MyST (``:format:`` accepted, as in MyST-NB)."""

    option_spec: ClassVar[dict[str, Any]] = {"format": _markdown_format}

    def run(self) -> list[nodes.Node]:
        value = self.value()
        if value is None:
            return []
        markdown = (value.get("data") or {}).get("text/markdown")
        if markdown is None:
            warn(
                self.env,
                self.lineno,
                "glue",
                "glue key %r has no text/markdown value",
                self.arguments[0],
            )
            return []
        markdown = "".join(markdown) if isinstance(markdown, list) else str(markdown)
        return list(self.context().render_markdown(markdown, self.lineno))

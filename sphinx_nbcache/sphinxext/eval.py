"""The ``eval`` role and directives (``{eval}`expr```, ``eval``, ``eval:figure``), as MyST-NB's.

In ``inline`` mode the expressions were evaluated in the kernel right after the code cell
before them, and their values stored with the notebook's outputs (see
:mod:`sphinx_nbcache.engine.inline`): a page reads them like glued values, with no kernel.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from sphinx.domains import Domain
from sphinx.util.docutils import SphinxDirective, SphinxRole

from .glue.directives import FigureMixin
from .glue.lookup import as_value, evaluated
from .glue.render import PasteContext, block, inline, renderer_of


class EvalRole(SphinxRole):
    """``{eval}`expr```: the value inline (strings without their quotes)."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        renderer = renderer_of(self.inliner)
        outputs = evaluated(self.env, self.text.strip(), self.lineno, renderer)
        if outputs is None:
            return [], []
        ctx = PasteContext(self.env, renderer, self.get_source_info()[0] or "")
        result: list[nodes.Node] = []
        for output in outputs:
            result += inline(ctx, as_value(output), self.lineno, strip_quotes=True)
        return result, []


class _EvalDirective(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = False

    def blocks(self) -> list[nodes.Element] | None:
        renderer = renderer_of(self.state)
        outputs = evaluated(self.env, self.arguments[0], self.lineno, renderer)
        if outputs is None:
            return None
        ctx = PasteContext(self.env, renderer, self.get_source_info()[0] or "")
        result: list[nodes.Element] = []
        for output in outputs:
            result += block(ctx, as_value(output), self.lineno)
        return result


class EvalDirective(_EvalDirective):
    """The value of an expression as a block."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        return list(self.blocks() or [])


class EvalFigureDirective(FigureMixin, _EvalDirective):
    """The value of an expression in a figure; the content is the caption."""

    option_spec: ClassVar[dict[str, Any]] = FigureMixin.option_spec

    def run(self) -> list[nodes.Node]:
        content = self.blocks()
        return [] if content is None else self.figure(content)


class EvalDomain(Domain):
    """Only so that ``eval:figure`` can be a directive name (Sphinx reads ``:`` as a domain)."""

    name = "eval"
    label = "Notebook eval"
    directives: ClassVar[dict[str, Any]] = {"figure": EvalFigureDirective}  # type: ignore[misc]

    def merge_domaindata(self, docnames: Any, otherdata: Any) -> None:
        pass  # no data

    def resolve_any_xref(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

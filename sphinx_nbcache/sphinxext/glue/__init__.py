"""Glue: values glued in a notebook's outputs pasted into pages, as MyST-NB does it.

Modules: :mod:`.values` (reading values from outputs), :mod:`.page` (a page's values and
another notebook's), :mod:`.lookup` (``key`` and ``path::key``), :mod:`.render` (values as
nodes), :mod:`.roles`, :mod:`.directives`, :mod:`.deps` (re-reading pages whose pasted values
changed).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sphinx.application import Sphinx
from sphinx.domains import Domain

from . import deps
from .directives import (
    PasteAnyDirective,
    PasteFigureDirective,
    PasteMarkdownDirective,
    PasteMathDirective,
)
from .roles import PasteAnyRole, PasteMarkdownRole, PasteTextRole


class GlueDomain(Domain):
    """Only so that ``glue:text`` and friends can be names (Sphinx reads ``:`` as a domain)."""

    name = "glue"
    label = "Notebook glue"
    roles: ClassVar[dict[str, Any]] = {  # type: ignore[misc]
        "": PasteAnyRole(),
        "any": PasteAnyRole(),
        "text": PasteTextRole(),
        "md": PasteMarkdownRole(),
    }
    directives: ClassVar[dict[str, Any]] = {  # type: ignore[misc]
        "": PasteAnyDirective,
        "any": PasteAnyDirective,
        "figure": PasteFigureDirective,
        "math": PasteMathDirective,
        "md": PasteMarkdownDirective,
    }

    def merge_domaindata(self, docnames: Any, otherdata: Any) -> None:
        pass  # no data: what pages paste is kept in env.nbcache_glue

    def resolve_any_xref(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []


def setup_glue(app: Sphinx) -> None:
    """Register the glue and eval roles, directives and domains, and the listeners."""
    from ..eval import EvalDirective, EvalDomain, EvalRole

    app.add_domain(GlueDomain)
    app.add_role("glue", PasteAnyRole())
    app.add_directive("glue", PasteAnyDirective)
    app.add_domain(EvalDomain)
    app.add_role("eval", EvalRole())
    app.add_directive("eval", EvalDirective)
    # after execution (priority 500): the new values of the notebooks just executed are known
    app.connect("env-before-read-docs", deps.add_pasting_docs, priority=600)
    app.connect("env-purge-doc", deps.purge_doc)
    app.connect("env-merge-info", deps.merge_info)

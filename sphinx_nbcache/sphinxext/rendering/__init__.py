"""Rendering notebooks into docutils nodes: a notebook (with outputs) in, a doctree out.

Modules: :mod:`.parser` (the Sphinx parser), :mod:`.tokens` (one MyST token stream per
notebook), :mod:`.renderer` (cells to nodes), :mod:`.outputs` (outputs to nodes), :mod:`.mime`
(the per-builder MIME type choice), :mod:`.nodes` (our nodes and their builder fallbacks),
:mod:`.tags` (display tags), :mod:`.ansi`, :mod:`.images`.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util.fileutil import copy_asset_file

from .alerts import DIRECTIVES, ReplaceAlertDivs
from .anchors import NotebookSectionAnchors, SectionLabels
from .citations import NotebookCitations
from .equations import EquationReferences
from .links import ResolveNbsphinxLinks, RewriteLocalLinks
from .mime import SelectMimeType, mime_priority
from .nodes import VISITORS, ResolveOutputNodes
from .parser import NotebookParser
from .tags import CellDisplay, cell_display
from .widgets import add_manager_to_widget_pages

__all__ = [
    "CellDisplay",
    "NotebookParser",
    "cell_display",
    "mime_priority",
    "setup_rendering",
]

STATIC = Path(__file__).parent / "static"
CSS_FILE = "nbcache.css"


def setup_rendering(app: Sphinx) -> None:
    """Register the notebook parser, nodes, post-transforms and static files."""
    app.add_source_parser(NotebookParser, override=True)
    for node, visitors in VISITORS.items():
        app.add_node(node, override=True, **visitors)
    app.add_post_transform(SelectMimeType)
    app.add_post_transform(ResolveOutputNodes)
    # nbsphinx's anchors, labels, links and alert boxes
    for transform in (
        NotebookSectionAnchors,
        SectionLabels,
        RewriteLocalLinks,
        ReplaceAlertDivs,
        EquationReferences,
        NotebookCitations,
    ):
        app.add_transform(transform)
    app.add_post_transform(ResolveNbsphinxLinks)
    for name, directive in DIRECTIVES.items():
        app.add_directive(name, directive, override=True)
    app.add_css_file(CSS_FILE)
    app.connect("build-finished", _copy_static)
    app.connect("html-page-context", add_manager_to_widget_pages)


def _copy_static(app: Sphinx, exception: BaseException | None) -> None:
    """Copy our CSS into ``_static`` of HTML builds."""
    if exception is None and app.builder.format == "html":
        copy_asset_file(STATIC / CSS_FILE, Path(app.outdir) / "_static")

"""MyST-NB's roles and directives that are not glue or eval, and what themes read of a notebook.

- ``nb-exec-table``: our execution table under MyST-NB's name.
- ``nb-download``: a download link to a notebook file (the target, relative to the page).
- ``code-cell`` / ``raw-cell`` outside a notebook (a Markdown page without notebook front
  matter, or nested in another directive): one warning and nothing shown, as in MyST-NB.
- ``env.metadata[docname]`` gets the notebook's ``kernelspec`` (and ``jupytext``), which
  sphinx-book-theme and pydata-sphinx-theme look for to show their notebook buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import ReferenceRole, SphinxDirective

from .report import ExecutionTableDirective

logger = logging.getLogger(__name__)


class NotebookDownloadRole(ReferenceRole):
    """``{nb-download}`notebook.ipynb``` or ``{nb-download}`title <notebook.ipynb>```."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        node = addnodes.download_reference(self.rawtext, reftarget=self.target)
        node["refdoc"] = self.env.docname
        node["refexplicit"] = self.has_explicit_title
        self.set_source_info(node)
        title = self.title if self.has_explicit_title else self.target
        node += nodes.literal(self.rawtext, title, classes=["xref", "download", "myst-nb"])
        return [node], []


class CellOutsideNotebook(SphinxDirective):
    """A ``code-cell`` or ``raw-cell`` that no notebook reader picked up."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True

    def run(self) -> list[nodes.Node]:
        logger.warning(
            "%s outside a notebook is not executed and not shown; give the page notebook front "
            "matter (kernelspec, or jupytext with format_name: myst), and do not nest cells in "
            "other directives",
            self.name,
            type="nbcache",
            subtype="cell",
            location=(self.env.docname, self.lineno),
        )
        return []


def note_notebook_metadata(env: BuildEnvironment, metadata: Mapping[str, Any]) -> None:
    """Put the notebook's ``kernelspec`` and ``jupytext`` into the page metadata."""
    page = env.metadata[env.docname]
    for key in ("kernelspec", "jupytext"):
        if isinstance(metadata.get(key), Mapping):
            page.setdefault(key, dict(metadata[key]))


def setup(app: Sphinx) -> None:
    """Register the roles and directives."""
    app.add_directive("nb-exec-table", ExecutionTableDirective)
    app.add_role("nb-download", NotebookDownloadRole())
    for name in ("code-cell", "raw-cell"):
        app.add_directive(name, CellOutsideNotebook, override=True)

"""MyST-NB's roles and directives that are not glue or eval, and what themes read of a notebook.

- ``nb-exec-table``: our execution table under MyST-NB's name.
- ``nb-download``: a download link to a notebook file (the target, relative to the page).
- ``code-cell`` / ``raw-cell`` outside a notebook (a Markdown page without notebook front
  matter, or nested in another directive): one warning and nothing shown, as in MyST-NB.
- ``env.metadata[docname]`` gets the notebook's ``kernelspec`` (and ``jupytext``), which
  sphinx-book-theme and pydata-sphinx-theme look for to show their notebook buttons.
- The notebook as rendered (with its outputs) is written to ``jupyter_execute/<docname>.ipynb``
  beside the output folder, where MyST-NB writes it: sphinx-book-theme copies it from there for
  the download and launch buttons of MyST Markdown notebooks, and ``nb-download`` links to it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import ReferenceRole, SphinxDirective

from sphinx_nbcache.engine import atomic_write_bytes

from .report import MystnbExecutionTableDirective

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: MyST-NB's folder of executed notebooks, beside the output folder
OUTPUT_FOLDER = "jupyter_execute"
_FOLDER_ATTR = "nbcache_jupyter_execute"
#: Sphinx's file-wide metadata fields that a notebook's top-level metadata can set
SPHINX_FILE_FIELDS = ("orphan", "nosearch", "tocdepth")

logger = logging.getLogger(__name__)


class NotebookDownloadRole(ReferenceRole):
    """``{nb-download}`notebook.ipynb``` or ``{nb-download}`title <notebook.ipynb>```."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        # the executed notebook MyST-NB's role links to, under jupyter_execute/
        folder = getattr(self.env, _FOLDER_ATTR, None)
        target = self.target
        if folder:
            path = Path(folder).joinpath(*self.env.docname.split("/")[:-1], *target.split("/"))
            beside = Path(self.env.doc2path(self.env.docname)).parent / target
            # a notebook not read yet in this build has no executed copy: its source will do
            if path.exists() or not beside.exists():
                target = "/" + Path(os.path.relpath(path, self.env.srcdir)).as_posix()
        node = addnodes.download_reference(self.rawtext, reftarget=target)
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


def note_notebook_metadata(env: BuildEnvironment, nb: NotebookNode) -> None:
    """Put the notebook's ``kernelspec`` and ``jupytext`` into the page metadata; write it out.

    :param nb: the notebook as rendered, with its outputs.
    """
    import nbformat  # here: a no-op build imports none of it

    page = env.metadata[env.docname]
    for key in ("kernelspec", "jupytext"):
        if isinstance(nb.metadata.get(key), Mapping):
            # plain JSON values: nodes in the pickled environment would make every later
            # build, a no-op too, import nbformat to load it
            page.setdefault(key, json.loads(json.dumps(nb.metadata[key])))
    # Sphinx's file-wide fields at the notebook's top level, which MyST-NB passes on as front
    # matter: `orphan: true` keeps a notebook out of the "not in any toctree" warning
    for key in SPHINX_FILE_FIELDS:
        if key in nb.metadata and not isinstance(nb.metadata[key], (Mapping, list)):
            page.setdefault(key, nb.metadata[key])
    path = executed_notebook_path(env, env.docname)
    if path is not None:
        try:
            atomic_write_bytes(path, nbformat.writes(nb).encode("utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning(
                "cannot write %s: %s",
                path,
                exc,
                type="nbcache",
                subtype="output",
                location=env.docname,
            )


def executed_notebook_path(env: BuildEnvironment, docname: str) -> Path | None:
    """Where the notebook of ``docname`` is written as rendered (None: not an HTML-like build)."""
    folder = getattr(env, _FOLDER_ATTR, None)
    if not folder:
        return None
    *parents, name = docname.split("/")
    return Path(folder).joinpath(*parents, name + ".ipynb")


def _note_output_folder(app: Sphinx) -> None:
    """``builder-inited``: where executed notebooks go (``<outdir>/../jupyter_execute``)."""
    setattr(app.env, _FOLDER_ATTR, str(Path(app.outdir).parent / OUTPUT_FOLDER))


def setup(app: Sphinx) -> None:
    """Register the roles and directives."""
    app.add_directive("nb-exec-table", MystnbExecutionTableDirective)
    app.add_role("nb-download", NotebookDownloadRole())
    for name in ("code-cell", "raw-cell"):
        app.add_directive(name, CellOutsideNotebook, override=True)
    app.connect("builder-inited", _note_output_folder)

"""The MyST renderer extended with notebook cells: code cells, raw cells, attachments."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from docutils import nodes
from markdown_it.tree import SyntaxTreeNode
from myst_parser.mdit_to_docutils.base import token_line
from myst_parser.mdit_to_docutils.sphinx_ import SphinxRenderer
from myst_parser.warnings_ import MystWarnings
from sphinx.util import logging

from sphinx_nbcache.engine import kernel_of

from ..snapshot import NbcacheConfig, nbcache_config
from . import images, mystnb_meta, prompts, rawcells, toctree, truncate, widgets
from .nodes import Collapsible
from .outputs import render_outputs
from .tags import CellDisplay, cell_display, folds_whole_cell

if TYPE_CHECKING:
    from nbformat import NotebookNode

logger = logging.getLogger(__name__)

#: blank lines before a cell's code, which Pygments drops from the page: the literal text
#: must be what the page shows (sphinx-codeautolink matches the two)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")

#: Pygments lexer per kernel language, where the language name is not the best lexer
LEXERS: dict[str, str] = {"python": "ipython3"}


def notebook_lexer(nb: NotebookNode) -> str:
    """The Pygments lexer for the notebook's code cells."""
    _, language = kernel_of(nb)
    return LEXERS.get(language, language)


class NotebookRenderer(SphinxRenderer):
    """Render a notebook's token stream (see :mod:`.tokens`) into the Sphinx document.

    The notebook is ``md.options["nbcache_notebook"]``.
    """

    @property
    def notebook(self) -> NotebookNode:
        return self.md_options["nbcache_notebook"]

    @property
    def conf(self) -> NbcacheConfig:
        """This run's configuration snapshot."""
        return nbcache_config(self.sphinx_env)

    def create_warning(
        self, message: str, subtype: MystWarnings | str, **kwargs: Any
    ) -> nodes.system_message | None:
        """myst's warnings, less the skipped heading level (``##`` then ``####``).

        Jupyter, and pandoc under nbsphinx, show such headings as they are; a notebook
        written for them would otherwise warn on every skip.
        """
        if subtype == MystWarnings.MD_HEADING_NON_CONSECUTIVE:
            return None
        return super().create_warning(message, subtype, **kwargs)

    # -- the OutputContext protocol (see outputs.py) ---------------------------------------

    @property
    def has_widget_state(self) -> bool:
        return widgets.widget_state(self.notebook) is not None

    @property
    def merge_streams(self) -> bool:
        return self.conf.merge_streams

    @property
    def stderr_mode(self) -> str:
        return self.conf.output_stderr

    @property
    def output_limit(self) -> truncate.OutputLimit:
        """This document's output limit (one per renderer, so it warns once per notebook)."""
        limit = getattr(self, "_output_limit", None)
        if limit is None:
            env = self.sphinx_env
            chars, problem = truncate.notebook_limit(self.conf.output_limit, self.notebook.metadata)
            if problem:
                self.warn(problem, "config", 1)
            limit = self._output_limit = truncate.OutputLimit(
                chars,
                truncate.output_folder(env.doctreedir),
                env.srcdir,
                self.warn,
            )
        return limit

    def warn(self, message: str, subtype: str, line: int) -> None:
        """Log a warning ``nbcache.<subtype>`` located at the document and cell line."""
        logger.warning(
            message,
            type="nbcache",
            subtype=subtype,
            location=(self.sphinx_env.docname, line),
        )

    def render_markdown(self, text: str, line: int) -> list[nodes.Node]:
        """``text`` parsed as MyST into a detached container; its headings become rubrics."""
        holder = nodes.container()
        with self.current_node_context(holder):
            self.nested_render_text(text, line - 1)
        return list(holder.children)

    def image(
        self, mime: str, content: bytes, metadata: Mapping[str, Any], line: int
    ) -> nodes.image:
        """An image node for ``content``, written under the build's image folder."""
        return images.image_node(
            self.sphinx_env, content, mime, metadata, self.document["source"], line
        )

    # -- cells ------------------------------------------------------------------------------

    def render_nbcache_markdown_cell(self, token: SyntaxTreeNode) -> None:
        cell = self.notebook.cells[token.meta["index"]]
        if cell_display(cell).remove_cell:
            return
        # nbsphinx-toctree / nbsphinx-gallery cells: their links become a toctree or gallery
        if toctree.render_link_cell(self, cell, token, token_line(token, 0)):
            return
        self._attachments = cell.get("attachments") or {}
        self.md_env["nbcache_cell"] = token.meta["index"]  # whose {eval} values apply here
        try:
            self.render_children(token)
        finally:
            self._attachments = {}

    def render_image(self, token: SyntaxTreeNode) -> None:
        src = str(token.attrGet("src") or "")
        if not src.startswith("attachment:"):
            return super().render_image(token)
        name = src[len("attachment:") :]
        bundle = getattr(self, "_attachments", {}).get(name) or {}
        line = token_line(token, 0)
        mime = next((m for m in bundle if m in images.SUFFIXES), None)
        if mime is None:
            self.warn(f"cell attachment not found: {name}", "attachment", line)
            return None
        try:
            content = images.decode(mime, bundle[mime])
        except ValueError as exc:
            self.warn(f"cell attachment {name}: {exc}", "attachment", line)
            return None
        # let myst build the node (alt text, attributes), then point it at the written file
        super().render_image(token)
        node = self.current_node.children[-1]
        node["uri"] = self.image(mime, content, {}, line)["uri"]
        return None

    def render_nbcache_code_cell(self, token: SyntaxTreeNode) -> None:
        index = token.meta["index"]
        cell = self.notebook.cells[index]
        display = cell_display(cell)
        line = token_line(token, 0)
        look = mystnb_meta.cell_look(self.conf, self.notebook.metadata, cell)
        if display.remove_cell:
            return
        remove_output = display.remove_output or look["remove_code_outputs"] is True
        outputs = [] if remove_output else cell.get("outputs", [])
        outputs = mystnb_meta.filter_outputs(look, outputs, self.merge_streams)
        source = _LEADING_BLANK_LINES.sub("", token.content).rstrip("\n")
        remove_input = display.remove_input or look["remove_code_source"] is True
        show_input = not remove_input and bool(source.strip())
        output_nodes = render_outputs(self, outputs, display, line)
        mystnb_meta.decorate_outputs(look, output_nodes)
        if not show_input and not output_nodes:
            return
        classes = ["nbcache-cell", "nbcache-cell-code", *mystnb_meta.cell_classes(look)]
        cell_node = nodes.container(classes=classes)
        cell_node.source, cell_node.line = self.document["source"], line
        # a failure box follows its cell by index (lines are the file's in MyST notebooks)
        cell_node["nbcache_cell_index"] = index
        input_part = self._input_part(cell, look, source, line) if show_input else None
        output_part = self._output_part(cell, look, output_nodes, line) if output_nodes else None
        cell_node.extend(_folded(cell, display, look, input_part, output_part))
        self.current_node += cell_node

    def _input_part(
        self, cell: NotebookNode, look: mystnb_meta.CellLook, source: str, line: int
    ) -> nodes.container:
        code = nodes.literal_block(source, source, language=notebook_lexer(self.notebook))
        code.source, code.line = self.document["source"], line
        mystnb_meta.decorate_input(look, code)
        part = nodes.container("", code, classes=["nbcache-cell-input", "cell_input"])
        prompts.add_prompt(self.conf, part, cell, "input")
        return part

    def _output_part(
        self,
        cell: NotebookNode,
        look: mystnb_meta.CellLook,
        output_nodes: list[nodes.Element],
        line: int,
    ) -> nodes.container:
        figure = mystnb_meta.figure_options(look)
        if figure is not None:
            output_nodes = [mystnb_meta.wrap_in_figure(self, figure, output_nodes, line)]
        part = nodes.container("", *output_nodes, classes=["nbcache-cell-output", "cell_output"])
        prompts.add_prompt(self.conf, part, cell, "output")
        return part

    def render_nbcache_raw_cell(self, token: SyntaxTreeNode) -> None:
        cell = self.notebook.cells[token.meta["index"]]
        if cell_display(cell).remove_cell:
            return
        metadata = cell.get("metadata", {})
        mime = metadata.get("raw_mimetype") or metadata.get("format") or ""
        text = token.content
        line = token_line(token, 0)
        if mime in ("text/html", "text/latex"):
            raw = nodes.raw("", text, format=mime.split("/")[1])
            raw.source, raw.line = self.document["source"], line
            self.current_node += raw
        elif mime in ("text/restructuredtext", "text/x-rst"):
            rawcells.render_rst_cell(self, token)
        elif mime == "text/markdown":
            self.nested_render_text(text, line - 1)
        # no or another MIME type: raw cells are for other tools (nbconvert); nothing to show


def _folded(
    cell: NotebookNode,
    display: CellDisplay,
    look: mystnb_meta.CellLook,
    input_part: nodes.Element | None,
    output_part: nodes.Element | None,
) -> list[nodes.Element]:
    """A code cell's parts, folded as MyST-NB folds them.

    ``hide-cell``: one fold around input and outputs ("Show code cell content"); otherwise the
    hidden input and the hidden outputs fold each on its own. The ``hide`` and position
    classes are MyST-NB's, for the CSS of themes and users.
    """
    if input_part is not None and folds_whole_cell(cell):
        parts = [input_part] if output_part is None else [input_part, output_part]
        summary = mystnb_meta.prompt(look, "content")
        return [Collapsible("", *parts, summary=summary, classes=["hide", "above-input"])]
    folded: list[nodes.Element] = []
    if input_part is not None:
        folded.append(
            _fold(input_part, display.hide_input, mystnb_meta.prompt(look, "source"), "above-input")
        )
    if output_part is not None:
        where = "below-input" if input_part is not None else "above-output"
        summary = mystnb_meta.prompt(look, "outputs")
        folded.append(_fold(output_part, display.hide_output, summary, where))
    return folded


def _fold(part: nodes.Element, fold: bool, summary: str, where: str) -> nodes.Element:
    return Collapsible("", part, summary=summary, classes=["hide", where]) if fold else part

"""The Sphinx parser for notebooks, which leaves plain Markdown pages to myst-parser."""

from __future__ import annotations

from docutils import nodes
from myst_parser.config.main import MdParserConfig, merge_file_level
from myst_parser.parsers.mdit import create_md_parser
from myst_parser.parsers.sphinx_ import MystParser
from myst_parser.warnings_ import create_warning
from sphinx.util import logging

from sphinx_nbcache.engine import NotebookReadError, cell_source_lines, read_notebook_text

from ..failures import add_failure_box, unreadable_page
from ..gallery import collect_thumbnail
from ..glue.page import take_page_values, with_eval_cells
from ..metadata_checks import cleaned
from ..mystnb_roles import note_notebook_metadata
from ..outputs import notebook_for_rendering
from ..sources import FILETYPE, notebook_format
from .prolog import add_text
from .renderer import NotebookRenderer
from .tokens import notebook_to_tokens
from .widgets import state_node, widget_state

logger = logging.getLogger(__name__)

#: MyST extensions always on in notebooks, because Jupyter itself renders this syntax
NOTEBOOK_EXTENSIONS: frozenset[str] = frozenset({"dollarmath", "amsmath"})


class NotebookParser(MystParser):
    """Parse notebooks (``.ipynb``, jupytext formats, MyST Markdown notebooks) into doctrees.

    A Markdown file that is not a notebook is parsed by myst-parser itself, unchanged.
    """

    supported: tuple[str, ...] = (FILETYPE, "ipynb", "md", "markdown", "myst")

    def parse(self, inputstring: str, document: nodes.document) -> None:
        env = document.settings.env
        path = env.doc2path(env.docname)
        fmt = notebook_format(env.config, path, inputstring)
        if fmt is None:
            super().parse(inputstring, document)
            return
        try:
            nb = read_notebook_text(inputstring, fmt, source=str(path))
        except NotebookReadError as exc:
            # an empty page, set up as myst sets up every page (its transforms expect it)
            super().parse("", document)
            unreadable_page(env, env.docname, document, str(exc))  # warned, with a box
            return
        nb = cleaned(nb)  # no ill-shaped metadata reaches the renderer (the plan warned)
        # glue/eval: generated eval cells in (to pair with the record), values out of the outputs
        nb = notebook_for_rendering(env, env.docname, with_eval_cells(env, env.docname, nb))
        nb = take_page_values(env, env.docname, nb)
        collect_thumbnail(env, nb)  # for galleries that list this notebook
        note_notebook_metadata(env, nb)  # themes' notebook buttons
        nbsphinx_meta = nb.metadata.get("nbsphinx")
        if isinstance(nbsphinx_meta, dict) and nbsphinx_meta.get("orphan") is True:
            env.metadata[env.docname]["orphan"] = True  # as nbsphinx: in no toctree, no warning

        config: MdParserConfig = env.myst_config
        # Jupyter renders $...$ and \begin{align} in markdown cells as math: so do we
        missing = NOTEBOOK_EXTENSIONS - set(config.enable_extensions)
        if missing:
            config = config.copy(enable_extensions=set(config.enable_extensions) | missing)
        # notebook-level MyST options, as myst reads them from a page's front matter
        myst_meta = nb.metadata.get("myst")
        if myst_meta is not None:
            config = merge_file_level(
                config,
                {"myst": myst_meta},
                lambda wtype, msg: create_warning(document, msg, wtype, line=1, append_to=document),
            )
        md = create_md_parser(config, NotebookRenderer)
        md.options["document"] = document
        md.options["nbcache_notebook"] = nb
        md_env: dict[str, object] = {}
        # MyST notebooks: warnings name the file's line, as MyST-NB's do
        tokens = notebook_to_tokens(nb, md, md_env, cell_source_lines(inputstring, fmt))
        add_text(document, env, "prolog")
        md.renderer.render(tokens, md.options, md_env)
        add_text(document, env, "epilog")
        add_failure_box(env, env.docname, document, nb)  # timeouts, kernels: say what failed
        state = widget_state(nb)
        if state is not None:
            document += state_node(state)

"""Text before and after every notebook: ``nbcache_prolog`` / ``nbcache_epilog``.

As nbsphinx's ``nbsphinx_prolog`` / ``nbsphinx_epilog`` (read as these): a Jinja2 template
rendered with the build environment as ``env`` (``{{ env.docname }}``), whose result is
reStructuredText parsed into the page before (or after) the notebook's content.
"""

from __future__ import annotations

import re

import jinja2
from docutils import nodes
from docutils.parsers.rst import Parser as RstParser
from docutils.utils import new_document
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from ..snapshot import nbcache_config

logger = logging.getLogger(__name__)


#: LaTeX's special characters, escaped as nbconvert's ``escape_latex`` filter does
_LATEX = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
    "\\": r"\textbackslash{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}
_LATEX_RE = re.compile("|".join(re.escape(c) for c in _LATEX))


def escape_latex(text: object) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return _LATEX_RE.sub(lambda m: _LATEX[m.group(0)], str(text))


def _jinja() -> jinja2.Environment:
    # nbsphinx renders with nbconvert's template environment: its filter used in prologs
    environment = jinja2.Environment()
    environment.filters["escape_latex"] = escape_latex
    return environment


def render_template(template: str, env: BuildEnvironment, name: str) -> str | None:
    """The template rendered with ``env``; ``None`` (after a warning) if it fails."""
    try:
        return _jinja().from_string(template).render(env=env)
    except jinja2.TemplateError as exc:
        logger.warning(
            "nbcache_%s could not be rendered: %s; fix the template in conf.py",
            name,
            exc,
            type="nbcache",
            subtype="config",
            location=env.docname,
        )
        return None


def rst_nodes(text: str, document: nodes.document) -> list[nodes.Node]:
    """``text`` parsed as reStructuredText with the page's settings, as detached nodes."""
    holder = new_document(document["source"], document.settings)
    RstParser().parse(text, holder)
    return list(holder.children)


def add_text(document: nodes.document, env: BuildEnvironment, name: str) -> None:
    """Append the rendered ``nbcache_<name>`` (``prolog`` or ``epilog``) to ``document``."""
    template = getattr(nbcache_config(env), name)
    if not template:
        return
    text = render_template(template, env, name)
    if text and text.strip():
        document.extend(rst_nodes(text, document))

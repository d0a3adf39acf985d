"""Choosing one MIME type per output for the current builder (a post-transform)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from ..snapshot import nbcache_config
from ..sphinx_versions import current_builder
from .nodes import MimeBundle, MimeOption

logger = logging.getLogger(__name__)

#: best first, for builders whose format is ``html`` (html, dirhtml, singlehtml, epub ...)
HTML_PRIORITY: tuple[str, ...] = (
    "application/vnd.jupyter.widget-view+json",
    "application/javascript",
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/markdown",
    "text/latex",
    "text/plain",
)
LATEX_PRIORITY: tuple[str, ...] = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/latex",
    "text/markdown",
    "text/plain",
)
OTHER_PRIORITY: tuple[str, ...] = ("text/plain",)

#: every MIME type we can render in some builder
KNOWN_TYPES: frozenset[str] = frozenset(HTML_PRIORITY + LATEX_PRIORITY)


def code_lexer(mime: str) -> str | None:
    """The Pygments lexer of a source-code MIME type (``text/x-haskell``), else ``None``.

    Such an output (a kernel's ``display(Code(...))``, or a bundle of only ``text/x-python``)
    is best shown as a highlighted code block with that lexer. ``text/plain``, ``text/html``
    and the other types with a renderer of their own are never code here.
    """
    if not mime.startswith("text/") or mime in KNOWN_TYPES:
        return None
    from pygments.lexers import get_lexer_for_mimetype
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_for_mimetype(mime)
    except ClassNotFound:
        return None
    return str(lexer.aliases[0]) if lexer.aliases else None


def mime_priority(
    builder: str, fmt: str, overrides: Mapping[str, Sequence[str]] | None = None
) -> list[str]:
    """The MIME types a builder shows, best first.

    :param builder: the builder's name (``html``, ``latex``, ``text`` ...).
    :param fmt: the builder's format (``html`` for every HTML-like builder).
    :param overrides: ``nbcache_mime_priority``: per builder name, types to put first.
    """
    if fmt == "html":
        base = HTML_PRIORITY
    elif builder == "latex" or fmt == "latex":
        base = LATEX_PRIORITY
    else:
        base = OTHER_PRIORITY
    first = list((overrides or {}).get(builder, ()))
    return first + [mime for mime in base if mime not in first]


def select_option(
    options: Sequence[MimeOption], priority: Sequence[str], fmt: str
) -> MimeOption | None:
    """The option to show: the first type in ``priority`` the bundle has for this format."""
    by_type = {
        option["mime_type"]: option
        for option in options
        if not option.get("formats") or fmt in option["formats"]
    }
    for mime in priority:
        if mime in by_type:
            return by_type[mime]
    # a type no priority names is source code to highlight (see code_lexer): any format
    return next((o for m, o in by_type.items() if m not in KNOWN_TYPES), None)


class SelectMimeType(SphinxPostTransform):
    """Replace each :class:`MimeBundle` by the rendering of its best MIME type."""

    # first: the options not chosen must not reach reference resolution
    default_priority = 1

    def run(self, **kwargs: Any) -> None:
        builder = current_builder(self.env)
        priority = mime_priority(
            builder.name, builder.format, nbcache_config(self.env).mime_priority
        )
        for bundle in list(self.document.findall(MimeBundle)):
            options = [child for child in bundle.children if isinstance(child, MimeOption)]
            chosen = select_option(options, priority, builder.format)
            if chosen is None:
                # e.g. an image-only output in the text builder: nothing to show there
                logger.debug(
                    "[nbcache] no MIME type of %s for builder %s",
                    [o["mime_type"] for o in options],
                    builder.name,
                )
                bundle.parent.remove(bundle)
                continue
            slug = chosen["mime_type"].replace("/", "-").replace("+", "-").replace(".", "-")
            bundle.parent["classes"].append(f"nbcache-mime-{slug}")
            bundle.replace_self(chosen.children)

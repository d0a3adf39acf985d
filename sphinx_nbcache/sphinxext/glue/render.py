"""Pasted values as nodes: blocks through the cell-output renderer, inline forms here.

Either way a value becomes a :class:`~..rendering.nodes.MimeBundle`, so the builder's MIME
type is chosen by the same post-transform as for cell outputs (images in HTML, LaTeX in
PDF...).
"""

from __future__ import annotations

import re
from ast import literal_eval
from collections.abc import Mapping
from typing import Any

from docutils import nodes
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from ..rendering import images, widgets
from ..rendering.mime import KNOWN_TYPES
from ..rendering.nodes import MimeBundle, MimeOption
from ..rendering.outputs import image_of, latex_as_math, render_bundle

logger = logging.getLogger(__name__)

_QUOTED = re.compile(r"^(['\"]).*\1$", re.DOTALL)


class PasteContext:
    """The ``OutputContext`` of a role or directive (see ``rendering/outputs.py``).

    :param renderer: the myst renderer of the page (markdown values are parsed with it), or
        ``None`` on reStructuredText pages.
    """

    merge_streams = False
    has_widget_state = False
    stderr_mode = "show"

    def __init__(self, env: BuildEnvironment, renderer: Any | None, source: str) -> None:
        self.env = env
        self.renderer = renderer
        self.source = source

    def warn(self, message: str, subtype: str, line: int) -> None:
        logger.warning(message, type="nbcache", subtype=subtype, location=(self.env.docname, line))

    def render_markdown(self, text: str, line: int, inline: bool = False) -> list[nodes.Node]:
        if self.renderer is None:
            node: nodes.Element = (
                nodes.inline(text, text) if inline else nodes.paragraph(text, text)
            )
            return [node]
        holder: nodes.Element = nodes.inline() if inline else nodes.container()
        with self.renderer.current_node_context(holder):
            self.renderer.nested_render_text(text, max(line - 1, 0), inline=inline)
        return list(holder.children)

    def image(
        self, mime: str, content: bytes, metadata: Mapping[str, Any], line: int
    ) -> nodes.image:
        return images.image_node(self.env, content, mime, metadata, self.source, line)


def renderer_of(state_or_inliner: Any) -> Any | None:
    """The myst-parser renderer behind a directive's state or a role's inliner, if any."""
    return getattr(state_or_inliner, "_renderer", None)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def set_image_options(tree: nodes.Node, options: Mapping[str, Any]) -> None:
    """Apply a directive's ``alt``/``width``/``height``/``scale``/``class`` to its images."""
    for image in tree.findall(nodes.image):
        for key in ("alt", "width", "height", "scale"):
            if key in options:
                image[key] = options[key]
        if options.get("class"):
            image["classes"] += list(options["class"])


def block(
    ctx: PasteContext, value: Mapping[str, Any], line: int, classes: list[str] | None = None
) -> list[nodes.Element]:
    """A value as a block, rendered as a cell output would be."""
    bundle = render_bundle(ctx, value.get("data") or {}, value.get("metadata") or {}, line)
    if bundle is None:
        return []
    node = nodes.container("", bundle, classes=["nbcache-pasted", *(classes or [])])
    node.source, node.line = ctx.source, line
    return [node]


def inline(
    ctx: PasteContext, value: Mapping[str, Any], line: int, strip_quotes: bool = False
) -> list[nodes.Element]:
    """A value inside a paragraph: plain text, inline math, an image, inline markdown..."""
    data: Mapping[str, Any] = value.get("data") or {}
    metadata: Mapping[str, Any] = value.get("metadata") or {}
    bundle = MimeBundle()
    for mime, content in data.items():
        option = _inline_option(ctx, mime, content, metadata.get(mime) or {}, line, strip_quotes)
        if option is not None:
            bundle += option
    if not bundle.children:
        types = ", ".join(sorted(data)) or "none"
        ctx.warn(f"no MIME type of this value can be pasted: {types}", "mime", line)
        return []
    node = nodes.inline("", "", bundle, classes=["nbcache-pasted"])
    node.source, node.line = ctx.source, line
    return [node]


def _inline_option(
    ctx: PasteContext,
    mime: str,
    content: Any,
    metadata: Mapping[str, Any],
    line: int,
    strip_quotes: bool,
) -> MimeOption | None:
    if mime not in KNOWN_TYPES:
        return None
    option = MimeOption(mime_type=mime, formats=[])
    if mime == "text/plain":
        text = _text(content)
        if strip_quotes and _QUOTED.match(text):
            text = text[1:-1]
        option += nodes.inline(text, text, classes=["nbcache-pasted-text"])
    elif mime == "text/html":
        option += nodes.raw("", _text(content), format="html")
    elif mime == "text/latex":
        latex = _text(content)
        math = latex_as_math(latex)
        if math is None:
            option += nodes.raw("", latex, format="latex")
            option["formats"] = ["latex"]
        else:
            option += nodes.math(math, math)
    elif mime == "text/markdown":
        option += nodes.inline("", "", *ctx.render_markdown(_text(content), line, inline=True))
    elif mime in images.SUFFIXES:
        image = image_of(ctx, mime, content, metadata, line)
        if image is None:
            return None
        option += image
    elif mime == widgets.WIDGET_VIEW:
        # a widget inline, as MyST-NB pastes it, where the page holds the notebook's state
        if not _has_widget_model(ctx, content):
            return None
        option += widgets.view_node(content)
        option["formats"] = ["html"]
    else:  # javascript has no inline form
        return None
    return option


def _has_widget_model(ctx: PasteContext, view: Any) -> bool:
    """Whether the page's notebook saved the state of the view's widget (it renders only then).

    A widget pasted from another notebook has its state there: its ``text/plain`` is shown.
    """
    nb = getattr(ctx.renderer, "notebook", None)
    state = widgets.widget_state(nb) if nb is not None else None
    model = view.get("model_id") if isinstance(view, Mapping) else None
    return state is not None and model in state["state"]


_WRAPPED = re.compile(r"^[A-Za-z_][\w.]*\((.*)\)$", re.DOTALL)


def _literal(text: str) -> Any:
    try:
        return literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return None


def format_plain_text(text: str, spec: str) -> str:
    """``text/plain`` formatted with a format spec (``.2f``, ``,d``...), as MyST-NB does.

    The text is read back as a Python literal when it is one (``'abc'`` loses its quotes,
    ``3.14159`` and numpy's ``np.float64(3.14159)`` become a number); the spec's type letter
    says what it must be.

    :raises ValueError: the value does not fit the spec.
    """
    value: Any = _literal(text)
    if value is None:
        # numpy 2 shows scalars as ``np.float64(3.14)``: the number is inside
        wrapped = _WRAPPED.match(text.strip())
        value = _literal(wrapped.group(1)) if wrapped else None
    if value is None:
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, spec)

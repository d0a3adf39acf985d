"""The nodes for a code cell's outputs: streams, errors and MIME bundles.

Everything builder-specific is deferred: a bundle keeps one rendering per MIME type
(:class:`~.nodes.MimeBundle`) and ANSI text stays raw (:class:`~.nodes.AnsiBlock`) until the
post-transforms know the builder.

Text longer than ``nbcache_output_limit`` is cut here (see :mod:`.truncate`), so that neither
the doctree nor the page nor the search index holds more than the limit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from docutils import nodes

from . import images, widgets
from .ansi import has_ansi
from .mime import KNOWN_TYPES, code_lexer
from .nodes import AnsiBlock, MimeBundle, MimeOption
from .tags import CellDisplay
from .truncate import OutputLimit


class OutputContext(Protocol):
    """What rendering outputs needs from the document renderer."""

    def warn(self, message: str, subtype: str, line: int) -> None: ...

    def render_markdown(self, text: str, line: int) -> list[nodes.Node]: ...

    def image(
        self, mime: str, content: bytes, metadata: Mapping[str, Any], line: int
    ) -> nodes.image: ...

    @property
    def merge_streams(self) -> bool: ...

    @property
    def has_widget_state(self) -> bool: ...

    @property
    def stderr_mode(self) -> str: ...

    # optional: ``output_limit`` (an :class:`~.truncate.OutputLimit`); a context without it
    # (glue's roles, say) shows outputs whole


def _limit_of(ctx: OutputContext) -> OutputLimit | None:
    limit = getattr(ctx, "output_limit", None)
    return limit if isinstance(limit, OutputLimit) and limit.limit is not None else None


def _cut_text(
    ctx: OutputContext, text: str, line: int, suffix: str = ".txt"
) -> tuple[str, nodes.paragraph | None]:
    """``text`` cut to the context's output limit, and the marker linking its whole."""
    limit = _limit_of(ctx)
    if limit is None or not limit.over(text):
        return text, None
    return limit.cut(text, line, suffix)


def _limited_preformatted(
    ctx: OutputContext, text: str, line: int, suffix: str = ".txt"
) -> list[nodes.Element]:
    """:func:`preformatted` of ``text`` cut to the limit, followed by the marker if cut."""
    shown, mark = _cut_text(ctx, text, line, suffix)
    return [preformatted(shown)] if mark is None else [preformatted(shown), mark]


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def merge_stream_outputs(outputs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``outputs`` with consecutive chunks of the same stream joined into one."""
    merged: list[dict[str, Any]] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = _text(previous["text"]) + _text(output.get("text", ""))
        else:
            merged.append(dict(output))
    return merged


def preformatted(text: str, classes: Sequence[str] = ()) -> nodes.Element:
    """A block of output text; ANSI colours are kept for the post-transform to handle."""
    text = text.rstrip("\n")
    if has_ansi(text):
        return AnsiBlock(text, text, classes=list(classes))
    return nodes.literal_block(text, text, language="none", classes=list(classes))


def _container(kind: str, line: int, *children: nodes.Node) -> nodes.container:
    node = nodes.container("", *children, classes=["nbcache-output", f"nbcache-{kind}"])
    node.line = line
    return node


def render_outputs(
    ctx: OutputContext,
    outputs: Sequence[Mapping[str, Any]],
    display: CellDisplay,
    line: int,
) -> list[nodes.Element]:
    """The nodes for a code cell's outputs, in order.

    :param display: the cell's display flags (``remove_stderr`` is honoured here).
    :param line: the cell's line, for node locations and warnings.
    """
    if ctx.merge_streams:
        outputs = merge_stream_outputs(outputs)
    result: list[nodes.Element] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            name = output.get("name", "stdout")
            text = _text(output.get("text", ""))
            if name == "stderr":
                if display.remove_stderr or ctx.stderr_mode == "remove":
                    continue
                if ctx.stderr_mode == "warn":
                    first = next((ln for ln in text.splitlines() if ln.strip()), "")
                    ctx.warn(f"output on stderr: {first.strip()[:80]}", "stderr", line)
            result.append(
                _container(f"stream-{name}", line, *_limited_preformatted(ctx, text, line))
            )
        elif kind == "error":
            traceback = output.get("traceback") or []
            text = "\n".join(traceback) or f"{output.get('ename')}: {output.get('evalue')}"
            result.append(_container("error", line, *_limited_preformatted(ctx, text, line)))
        elif kind in ("display_data", "execute_result"):
            bundle = render_bundle(
                ctx, output.get("data") or {}, output.get("metadata") or {}, line
            )
            if bundle is not None:
                result.append(_container(kind.replace("_", "-"), line, bundle))
        else:
            ctx.warn(f"unknown output type {kind!r}", "output", line)
    return result


_MATH_WRAPPERS = re.compile(r"^\s*(\$\$?)(.*?)\1\s*$", re.DOTALL)
_MATH_ENVIRONMENT = re.compile(r"^\s*\\begin\{(equation|align|gather|multline|eqnarray)\*?\}")


def latex_as_math(text: str) -> str | None:
    """The math of a ``text/latex`` output (``$...$``/``$$...$$`` stripped), or ``None``.

    LaTeX that is not math (a pandas ``tabular``, say) returns ``None``.
    """
    match = _MATH_WRAPPERS.match(text)
    if match:
        return match.group(2).strip()
    if _MATH_ENVIRONMENT.match(text):
        return text.strip()
    return None


def render_bundle(
    ctx: OutputContext, data: Mapping[str, Any], metadata: Mapping[str, Any], line: int
) -> MimeBundle | None:
    """A :class:`MimeBundle` with one option per MIME type we can render.

    Warns (subtype ``mime``) and returns ``None`` when no type is known.
    """
    bundle = MimeBundle()
    for mime, value in data.items():
        if mime not in KNOWN_TYPES:
            continue
        option = _render_mime(ctx, mime, value, metadata.get(mime) or {}, line)
        if option is not None:
            bundle += option
    if not bundle.children and not any(mime in KNOWN_TYPES for mime in data):
        # only source code (``text/x-haskell``, say): shown highlighted with its lexer
        for mime, value in data.items():
            lexer = code_lexer(mime)
            if lexer is not None:
                code = _text(value)
                block = nodes.literal_block(code, code, language=lexer)
                block.line = line
                bundle += MimeOption("", block, mime_type=mime, formats=[])
                break
    if not bundle.children:
        if not any(mime in KNOWN_TYPES or code_lexer(mime) for mime in data):
            types = ", ".join(sorted(data)) or "none"
            ctx.warn(f"no MIME type of this output can be rendered: {types}", "mime", line)
        return None
    return bundle


def image_of(
    ctx: OutputContext, mime: str, value: Any, metadata: Mapping[str, Any], line: int
) -> nodes.image | None:
    """The image node of an output's image data, or ``None`` (warned) when it cannot decode."""
    try:
        content = images.decode(mime, value)
    except ValueError as exc:
        ctx.warn(str(exc), "mime", line)
        return None
    return ctx.image(mime, content, metadata, line)


def _render_mime(
    ctx: OutputContext, mime: str, value: Any, metadata: Mapping[str, Any], line: int
) -> MimeOption | None:
    option = MimeOption(mime_type=mime, formats=[])
    if mime == "text/plain":
        option += _limited_preformatted(ctx, _text(value), line)
    elif mime == "text/html":
        html = _text(value)
        shown, mark = _cut_text(ctx, html, line, ".html")
        if mark is None:
            option += nodes.raw("", html, format="html")
        else:
            # cut HTML may leave a tag, comment or script open that would swallow the rest
            # of the page: show the beginning of its source instead
            option += [preformatted(shown), mark]
    elif mime == "application/javascript":
        script = f'<script type="text/javascript">\n{_text(value)}\n</script>'
        option += nodes.raw("", script, format="html")
    elif mime == "text/markdown":
        shown, mark = _cut_text(ctx, _text(value), line, ".md")
        option += nodes.container("", *ctx.render_markdown(shown, line))
        if mark is not None:
            option += mark
    elif mime == "text/latex":
        latex = _text(value)
        shown, mark = _cut_text(ctx, latex, line, ".tex")
        math = latex_as_math(latex) if mark is None else None
        if mark is not None:
            # cut LaTeX is no longer valid math nor valid LaTeX: its source, as text
            option += [preformatted(shown), mark]
        elif math is None:
            option += nodes.raw("", latex, format="latex")
            option["formats"] = ["latex"]
        else:
            # an environment (align, equation...) is complete math: wrapping it again in
            # \[...\] / split would nest environments, which LaTeX and MathJax reject
            nowrap = bool(_MATH_ENVIRONMENT.match(math))
            option += nodes.math_block(math, math, nowrap=nowrap, number=None)
    elif mime in images.SUFFIXES:
        image = image_of(ctx, mime, value, metadata, line)
        if image is None:
            return None
        option += image
    elif mime == widgets.WIDGET_VIEW:
        if not ctx.has_widget_state:
            return None  # a view without the notebook's widget state cannot render
        option += widgets.view_node(value)
        option["formats"] = ["html"]
    else:  # pragma: no cover - KNOWN_TYPES and the branches above agree
        return None
    return option

"""The glue roles: ``{glue}`` / ``{glue:any}``, ``{glue:text}`` (with a format spec), ``{glue:md}``.

Each takes ``key`` (a value of this notebook) or ``path/to/other.ipynb::key``.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.util.docutils import SphinxRole

from .lookup import glued_value, split_reference, warn
from .render import PasteContext, format_plain_text, inline, renderer_of


class _PasteRole(SphinxRole):
    def context(self) -> PasteContext:
        return PasteContext(self.env, renderer_of(self.inliner), self.get_source_info()[0] or "")


class PasteAnyRole(_PasteRole):
    """``{glue}`key```: the value inline, in the best MIME type for the builder."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        value = glued_value(self.env, self.text, self.lineno)
        if value is None:
            return [], []
        pasted = list(inline(self.context(), value, self.lineno))
        if split_reference(self.text)[0] is not None:
            _keep_quotes(pasted)
        return pasted, []


def _keep_quotes(pasted: list[nodes.Node]) -> None:
    """A value from another notebook keeps its straight quotes (``'text'``), as in MyST-NB.

    MyST-NB pastes such values after Sphinx's smart quotes have run; values of the page itself
    are pasted before, and get curly quotes there as here.
    """
    for node in pasted:
        if isinstance(node, nodes.Element):
            node["support_smartquotes"] = False


class PasteTextRole(_PasteRole):
    """``{glue:text}`key:spec```: the ``text/plain`` value, formatted with ``spec`` if given."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        path, rest = split_reference(self.text)
        key, _, spec = rest.partition(":")
        reference = f"{path}::{key}" if path is not None else key
        value = glued_value(self.env, reference, self.lineno)
        if value is None:
            return [], []
        plain = (value.get("data") or {}).get("text/plain")
        if plain is None:
            warn(self.env, self.lineno, "glue", "glue key %r has no text/plain value", key)
            return [], []
        plain = "".join(plain) if isinstance(plain, list) else str(plain)
        try:
            text = format_plain_text(plain, spec)
        except (TypeError, ValueError) as exc:
            message = "glue key %r: cannot format with %r: %s"
            warn(self.env, self.lineno, "glue", message, key, spec, exc)
            return [], []
        node = nodes.inline(text, text, classes=["pasted-text"])
        self.set_source_info(node)
        if path is not None:
            _keep_quotes([node])
        return [node], []


class PasteMarkdownRole(_PasteRole):
    """``{glue:md}`key```: the ``text/markdown`` value parsed as inline MyST."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        path, rest = split_reference(self.text)
        key = rest.rsplit(":", 1)[0] if rest.endswith((":myst", ":commonmark", ":gfm")) else rest
        reference = f"{path}::{key}" if path is not None else key
        value = glued_value(self.env, reference, self.lineno)
        if value is None:
            return [], []
        markdown = (value.get("data") or {}).get("text/markdown")
        if markdown is None:
            warn(self.env, self.lineno, "glue", "glue key %r has no text/markdown value", key)
            return [], []
        markdown = "".join(markdown) if isinstance(markdown, list) else str(markdown)
        holder = nodes.inline("", "", classes=["nbcache-pasted"])
        holder += self.context().render_markdown(markdown, self.lineno, inline=True)
        self.set_source_info(holder)
        return [holder], []

"""Tables of this manual that are generated from the code, so that they cannot drift.

``nbcache-config-table``
    every ``nbcache_*`` value of ``conf.py``, from
    :data:`sphinx_nbcache.sphinxext.config.CONFIG_VALUES`.
``nbcache-cli``
    the ``--help`` text of every ``nbcache`` command, walking the click command tree
    (option ``:command:`` to start below the top, e.g. ``cache list``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_id

logger = logging.getLogger(__name__)

#: ``inline literal`` spans of rST, the only markup our descriptions use
_LITERAL = re.compile(r"``(.+?)``")

#: help text is wrapped at this width, whatever the terminal of the build
HELP_WIDTH = 88


def _inline(text: str) -> list[nodes.Node]:
    """``text`` with its ````literal```` spans as literal nodes."""
    out: list[nodes.Node] = []
    pos = 0
    for match in _LITERAL.finditer(text):
        if match.start() > pos:
            out.append(nodes.Text(text[pos : match.start()]))
        out.append(nodes.literal(match.group(1), match.group(1)))
        pos = match.end()
    if pos < len(text):
        out.append(nodes.Text(text[pos:]))
    return out


def _entry(*children: nodes.Node) -> nodes.entry:
    return nodes.entry("", nodes.paragraph("", "", *children))


def _code(text: str) -> nodes.literal:
    return nodes.literal(text, text)


def _type_name(types: tuple[type, ...]) -> str:
    names = []
    for t in types:
        if t is type(None):
            names.append("None")
        elif t.__module__ == "os":
            names.append(f"os.{t.__name__}")
        else:
            names.append(t.__name__)
    return " | ".join(names)


class ConfigTableDirective(SphinxDirective):
    """``nbcache-config-table``: one row per ``nbcache_*`` value."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from sphinx_nbcache.sphinxext import config
        from sphinx_nbcache.sphinxext.config import CONFIG_VALUES

        _depend_on(self.env, [Path(config.__file__)])
        headers = ("Name", "Default", "Type", "Description")
        table = nodes.table(classes=["nbcache-config-table"])
        group = nodes.tgroup(cols=len(headers))
        table += group
        for width in (22, 16, 14, 48):
            group += nodes.colspec(colwidth=width)
        group += nodes.thead("", nodes.row("", *(_entry(nodes.Text(h)) for h in headers)))
        body = nodes.tbody()
        for value in CONFIG_VALUES:
            description: list[nodes.Node] = _inline(value.description)
            if value.choices:
                description.append(nodes.Text(" One of "))
                for n, choice in enumerate(value.choices):
                    if n:
                        description.append(nodes.Text(", "))
                    description.append(_code(repr(choice)))
                description.append(nodes.Text("."))
            # a target per value, so that pages can link to :ref:`nbcache_timeout` etc.
            target_id = make_id(self.env, self.state.document, "", value.full_name)
            name = nodes.paragraph("", "", _code(value.full_name), ids=[target_id])
            self.env.domains.standard_domain.note_hyperlink_target(
                value.full_name, self.env.docname, target_id, value.full_name
            )
            body += nodes.row(
                "",
                nodes.entry("", name),
                _entry(_code(repr(value.default))),
                _entry(nodes.Text(_type_name(value.types))),
                _entry(*description),
            )
        group += body
        return [table]


def _depend_on(env: BuildEnvironment, files: list[Path]) -> None:
    """Read the page again when one of these source files changes (Sphinx compares mtimes)."""
    for file in files:
        env.note_dependency(str(file))


def _help_text(command: click.Command, ctx: click.Context) -> str:
    return command.get_help(ctx).rstrip() + "\n"


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """A context as click makes it when running ``command`` (its ``context_settings`` too)."""
    settings = {
        **command.context_settings,
        "terminal_width": HELP_WIDTH,
        "max_content_width": HELP_WIDTH,
        "color": False,
    }
    return click.Context(command, info_name=name, parent=parent, **settings)


def _walk(command: click.Command, name: str, parent: click.Context | None) -> list[tuple[str, str]]:
    """``(full command line, help text)`` for ``command`` and everything below it."""
    ctx = _context(command, name, parent)
    found = [(ctx.command_path, _help_text(command, ctx))]
    if isinstance(command, click.Group):
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                found += _walk(sub, sub_name, ctx)
    return found


class CliDirective(SphinxDirective):
    """``nbcache-cli``: a section with the ``--help`` of each ``nbcache`` command."""

    has_content = False
    option_spec = {"command": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        try:
            from sphinx_nbcache.cli import main
        except Exception as exc:  # the manual must say so loudly, not skip the reference
            logger.warning(
                "cannot import the nbcache command line: %s", exc, location=self.get_location()
            )
            return []
        _depend_on(
            self.env, sorted(Path(sys.modules["sphinx_nbcache.cli"].__file__).parent.glob("*.py"))
        )
        start: click.Command = main
        ctx = _context(main, "nbcache", None)
        words = (self.options.get("command") or "").split()
        for word in words:
            sub = start.get_command(ctx, word) if isinstance(start, click.Group) else None
            if sub is None:
                logger.warning(
                    "no nbcache command %r", " ".join(words), location=self.get_location()
                )
                return []
            ctx = _context(sub, word, ctx)
            start = sub
        parent = ctx.parent if words else None
        result: list[nodes.Node] = []
        for path, text in _walk(start, words[-1] if words else "nbcache", parent):
            section_id = make_id(self.env, self.state.document, "cli", path)
            section = nodes.section(ids=[section_id])
            section += nodes.title(path, "", _code(path))
            block = nodes.literal_block(text, text, language="none")
            section += block
            self.state.document.note_implicit_target(section, section)
            result.append(section)
        return result


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("nbcache-config-table", ConfigTableDirective)
    app.add_directive("nbcache-cli", CliDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

"""Jupyter widgets in HTML: the notebook's saved widget state, each view, and the manager.

A widget output renders only with the state the kernel saved in the notebook's metadata
(nbclient saves it after execution) and the ``@jupyter-widgets/html-manager`` script, loaded
on the pages that have widgets and nowhere else. Without state, the output's ``text/plain``
is shown, as in every non-HTML builder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.application import Sphinx

if TYPE_CHECKING:
    from nbformat import NotebookNode

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: the scripts JupyterLab's "embed widgets" export uses; loaded from a CDN, as nbsphinx does
REQUIRE_JS = "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.4/require.min.js"
EMBED_JS = "https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@^1.0.1/dist/embed-amd.js"

_STATE_MARK = f'<script type="{WIDGET_STATE}">'


def widget_state(nb: NotebookNode) -> Mapping[str, Any] | None:
    """The widget state saved in the notebook, if it holds any model."""
    state = (nb.metadata.get("widgets") or {}).get(WIDGET_STATE)
    if isinstance(state, Mapping) and state.get("state"):
        return state
    return None


def _script(mime: str, data: Any) -> str:
    # "</" would end the script element early inside the JSON
    text = json.dumps(data, sort_keys=True).replace("</", "<\\/")
    return f'<script type="{mime}">{text}</script>'


def state_node(state: Mapping[str, Any]) -> nodes.raw:
    """The page's widget state, read by the widget manager."""
    return nodes.raw("", _script(WIDGET_STATE, state), format="html")


def view_node(view: Any) -> nodes.raw:
    """One widget view, where the output was."""
    return nodes.raw("", _script(WIDGET_VIEW, view), format="html")


def add_manager_to_widget_pages(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    """``html-page-context``: load the widget manager on pages holding widget state."""
    if doctree is None:
        return
    if any(raw.astext().startswith(_STATE_MARK) for raw in doctree.findall(nodes.raw)):
        app.add_js_file(REQUIRE_JS, priority=200)
        app.add_js_file(EMBED_JS, priority=210)

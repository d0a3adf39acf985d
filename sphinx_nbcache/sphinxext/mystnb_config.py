"""MyST-NB's ``nb_*`` values: how each maps to ours, and a warning for those that cannot apply.

:mod:`.compat` adopts the values that have an ``nbcache_*`` equivalent (``PEER_VALUES``). The
rest are listed here with the reason they cannot apply: set to MyST-NB's default, they change
nothing and are only logged; set to anything else, each gets one warning naming it. No ``nb_*``
value is ignored silently.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from sphinx_nbcache.engine import reader_format

from .sphinx_versions import conf_py_values

logger = logging.getLogger(__name__)

#: MyST-NB value -> (its default, why it cannot apply here)
INAPPLICABLE: dict[str, tuple[Any, str]] = {
    "nb_execution_in_temp": (
        False,
        "notebooks execute in their own folder, so that the files they read are tracked "
        "as dependencies of the cache record",
    ),
    "nb_execution_show_tb": (
        False,
        "a failed notebook's warning shows the last lines of its traceback; the cell with "
        "the whole traceback is on the page when nbcache_allow_errors is True",
    ),
    "nb_render_plugin": (
        "default",
        "MyST-NB's output renderer plugins render MyST-NB's own nodes; use "
        "nbcache_mime_priority to choose MIME types",
    ),
    "nb_metadata_key": ("mystnb", "notebook metadata is read under 'mystnb' and 'nbcache'"),
    "nb_cell_metadata_key": ("mystnb", "cell metadata is read under 'mystnb'"),
    "nb_render_key": ("mystnb", "cell metadata is read under 'mystnb'"),
    "nb_render_markdown_format": (
        "commonmark",
        "text/markdown outputs are rendered as MyST (a superset of CommonMark)",
    ),
    "nb_ipywidgets_js": (
        {  # MyST-NB's default: the same two scripts we load
            "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.4/require.min.js": {
                "integrity": "sha256-Ae2Vz/4ePdIu6ZyI/5ZGsYnb+m0JlOmKPjt6XZ9JJkA=",
                "crossorigin": "anonymous",
            },
            "https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@1.0.6/dist/embed-amd.js": {
                "data-jupyter-widgets-cdn": "https://cdn.jsdelivr.net/npm/",
                "crossorigin": "anonymous",
            },
        },
        "the widget manager scripts are fixed (require.js and @jupyter-widgets/html-manager)",
    ),
}

#: values MyST-NB has only outside Sphinx (docutils) or that another part reads
_NOT_SPHINX = frozenset({"nb_read_as_md", "nb_builder_name", "nb_output_folder", "nb_append_css"})


def custom_formats(value: Any) -> Any:
    """MyST-NB's ``nb_custom_formats`` as ours: suffix -> jupytext format or ``reader:...``.

    Each entry is a reader (an import path), ``[reader, kwargs]`` or
    ``[reader, kwargs, commonmark_only]``. ``jupytext.reads`` with a format string becomes
    that format; any other reader is called as MyST-NB calls it, ``reader(text, **kwargs)``.
    """
    if not isinstance(value, dict):
        return value
    out: dict[str, str] = {}
    for suffix, spec in value.items():
        entry = (
            [spec]
            if isinstance(spec, str)
            else list(spec)
            if isinstance(spec, (list, tuple))
            else []
        )
        if not entry or not isinstance(entry[0], str) or len(entry) > 3:
            _warn(
                f"nb_custom_formats[{suffix!r}]",
                "must be a reader, [reader, kwargs] or "
                "[reader, kwargs, commonmark_only]; this suffix is not read as a notebook",
            )
            continue
        reader = entry[0]
        kwargs = entry[1] if len(entry) > 1 and isinstance(entry[1], dict) else {}
        if len(entry) > 2 and entry[2]:
            _warn(
                f"nb_custom_formats[{suffix!r}] commonmark_only",
                "markdown cells are always read as MyST (a superset of CommonMark)",
            )
        fmt = kwargs.get("fmt") if reader == "jupytext.reads" and set(kwargs) == {"fmt"} else None
        if isinstance(fmt, str):
            out[suffix] = "md:myst" if fmt in ("mystnb", "myst") else fmt
        else:
            out[suffix] = reader_format(reader, kwargs)
    for suffix in (".md", ".ipynb"):
        if suffix in out and out.pop(suffix) != "md:myst":
            _warn(
                f"nb_custom_formats[{suffix!r}]",
                f"{suffix} files are always read by "
                "sphinx-nbcache itself (.md ones as MyST notebooks when their front matter "
                "names a kernelspec or jupytext)",
            )
    return out


def mime_priority(value: Any) -> Any:
    """``[(builder, mime, priority), ...]`` -> per builder, the types to prefer, best first.

    ``*`` applies to the usual builders. A ``None`` priority (never show) cannot be expressed:
    one warning.
    """
    if not isinstance(value, (list, tuple)):
        return value
    entries: dict[str, list[tuple[int, str]]] = {}
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            continue
        builder, mime, priority = item
        if priority is None:
            _warn(
                f"nb_mime_priority_overrides ({builder}, {mime}, None)",
                "a MIME type cannot be removed from the choice, only preferred",
            )
            continue
        for name in (
            ("html", "dirhtml", "singlehtml", "latex", "epub") if builder == "*" else (builder,)
        ):
            entries.setdefault(name, []).append((priority, mime))
    return {b: [m for _, m in sorted(items)] for b, items in entries.items()}


def _warn(name: str, reason: str) -> None:
    logger.warning("%s cannot apply: %s", name, reason, type="nbcache", subtype="config")


def report_inapplicable(app: Sphinx, config: Config) -> None:
    """``config-inited``: one warning per MyST-NB value set that cannot apply here."""
    raw = conf_py_values(config)
    for name, (default, reason) in INAPPLICABLE.items():
        if name not in raw:
            continue
        if raw[name] == default:
            logger.info("nbcache: %s = %r: MyST-NB's default, nothing to do", name, raw[name])
        else:
            _warn(f"{name} = {raw[name]!r}", reason)
    for name in sorted(_NOT_SPHINX & set(raw)):
        logger.info("nbcache: %s is a docutils-only MyST-NB value; Sphinx builds ignore it", name)

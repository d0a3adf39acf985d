"""Honour the ``conf.py`` values of MyST-NB and nbsphinx, so switching is a one-line change.

Sphinx silently ignores values no extension registers; a project that set
``nb_execution_mode = "off"`` or ``nbsphinx_execute = "never"`` would otherwise start
executing on the switch. Each peer value present in ``conf.py`` sets our equivalent, unless
the project sets ours too (ours wins). Peer values are only read, never registered, so both
extensions can still be loaded side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from sphinx_nbcache.engine import limit

from . import mystnb_config
from .sphinx_versions import conf_py_values

logger = logging.getLogger(__name__)


#: nbsphinx's ``execute`` values (``conf.py`` and notebook metadata) in our modes
NBSPHINX_EXECUTE = {"never": "off", "always": "force", "auto": "auto"}


def _mode(value: Any) -> Any:
    # myst-nb: off/auto/cache/force/inline (ours already); nbsphinx: never/auto/always
    return NBSPHINX_EXECUTE.get(value, value) if isinstance(value, str) else value


def _timeout(value: Any) -> Any:
    # -1 (both peers' "no limit") and 0 are None; anything else is left for validation
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return limit(value)
    return value


def _stderr(value: Any) -> Any:
    return value if value in ("show", "remove", "warn") else "warn"


def _formats(value: Any) -> Any:
    """``{".pct.py": ["jupytext.reads", {"fmt": "py:percent"}]}`` -> ``{".pct.py": "py:percent"}``.

    Readers other than jupytext, and ``.md`` (MyST notebooks are always read), are left out.
    """
    if not isinstance(value, dict):
        return value
    out = {}
    for suffix, spec in value.items():
        if suffix in (".md", ".ipynb") or not isinstance(spec, (list, tuple)) or len(spec) < 2:
            continue
        reader, kwargs = spec[0], spec[1]
        if reader == "jupytext.reads" and isinstance(kwargs, dict) and "fmt" in kwargs:
            out[suffix] = kwargs["fmt"]
    return out


def _prompts_on(value: Any) -> Any:
    return True


#: peer name -> (our name without the prefix, conversion)
PEER_VALUES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "nb_execution_mode": ("execution_mode", _mode),
    "nb_execution_timeout": ("timeout", _timeout),
    "nb_execution_allow_errors": ("allow_errors", bool),
    "nb_execution_raise_on_error": ("raise_on_error", bool),
    "nb_execution_excludepatterns": ("exclude_patterns", list),
    "nb_merge_streams": ("merge_streams", bool),
    "nb_output_stderr": ("output_stderr", _stderr),
    "nb_custom_formats": ("custom_formats", _formats),
    "nb_eval_name_regex": ("eval_name_regex", str),
    "nbsphinx_execute": ("execution_mode", _mode),
    "nbsphinx_timeout": ("timeout", _timeout),
    "nbsphinx_allow_errors": ("allow_errors", bool),
    "nbsphinx_custom_formats": ("custom_formats", _formats),
    # the prompts' format is read by rendering/prompts.py; setting either turns prompts on
    "nbsphinx_input_prompt": ("prompts", _prompts_on),
    "nbsphinx_output_prompt": ("prompts", _prompts_on),
}

# MyST-NB's other values (those that cannot apply are in mystnb_config.INAPPLICABLE)
PEER_VALUES.update(
    {
        "nb_custom_formats": ("custom_formats", mystnb_config.custom_formats),
        "nb_kernel_rgx_aliases": ("kernel_rgx_aliases", dict),
        "nb_execution_cache_path": ("path", lambda v: v or None),
        "nb_remove_code_source": ("remove_code_source", bool),
        "nb_remove_code_outputs": ("remove_code_outputs", bool),
        "nb_number_source_lines": ("number_source_lines", bool),
        "nb_scroll_outputs": ("scroll_outputs", bool),
        "nb_code_prompt_show": ("code_prompt_show", str),
        "nb_code_prompt_hide": ("code_prompt_hide", str),
        "nb_render_text_lexer": ("text_lexer", lambda v: v or "none"),
        "nb_render_error_lexer": ("error_lexer", lambda v: v or "none"),
        "nb_render_image_options": ("image_options", dict),
        "nb_render_figure_options": ("figure_options", dict),
        "nb_mime_priority_overrides": ("mime_priority", mystnb_config.mime_priority),
    }
)


#: MyST-NB's warning types -> ours, so that its ``suppress_warnings`` entries keep applying
MYSTNB_WARNING_TYPES: dict[str, str] = {
    "mystnb": "nbcache",
    "mystnb.unknown_mime_type": "nbcache.mime",
    "mystnb.mime": "nbcache.mime",
    "mystnb.glue": "nbcache.glue",
    "mystnb.eval": "nbcache.eval",
    "mystnb.exec": "nbcache.exec",
    "mystnb.output": "nbcache.output",
}


def adopt_mystnb_suppressions(config: Config) -> None:
    """Add our warning type for each of MyST-NB's in ``suppress_warnings``."""
    entries = list(config.suppress_warnings or ())
    added = [MYSTNB_WARNING_TYPES[e] for e in entries if e in MYSTNB_WARNING_TYPES]
    added = [e for e in dict.fromkeys(added) if e not in entries]
    if added:
        config.suppress_warnings = entries + added
        logger.info("nbcache: suppress_warnings += %r (from MyST-NB's types)", added)


def adopt_peer_values(app: Sphinx, config: Config) -> None:
    """``config-inited`` (before validation): take over the peers' values not overridden."""
    adopt_mystnb_suppressions(config)
    raw = conf_py_values(config)
    for peer, (ours, convert) in PEER_VALUES.items():
        name = "nbcache_" + ours
        if peer not in raw or name in raw or name in config.overrides:
            continue
        value = convert(raw[peer])
        if ours == "custom_formats":
            value = {**config[name], **value}
        config[name] = value
        logger.info("nbcache: %s = %r (from %s in conf.py)", name, value, peer)
    _adopt_nbsphinx_kernel(config, raw)


def _adopt_nbsphinx_kernel(config: Config, raw: dict[str, object]) -> None:
    """nbsphinx runs every notebook on ``nbsphinx_kernel_name``, whatever its metadata names:
    the same here, as a regular-expression alias of every kernel name (unless the project
    sets its own aliases)."""
    name = raw.get("nbsphinx_kernel_name")
    ours = "nbcache_kernel_rgx_aliases"
    if not name or not isinstance(name, str) or ours in raw or ours in config.overrides:
        return
    config[ours] = {".*": name}
    logger.info("nbcache: %s = %r (from nbsphinx_kernel_name in conf.py)", ours, config[ours])


# -- nbsphinx: structure, prolog and the values that cannot apply ------------------------------
# (nbsphinx_thumbnails is read by gallery.py; the prompt values by their own block)
PEER_VALUES.update(
    {
        "nbsphinx_prolog": ("prolog", str),
        "nbsphinx_epilog": ("epilog", str),
        "nbsphinx_kernel_name": ("kernel", lambda v: v or "python3"),
        "nbsphinx_execute_arguments": ("kernel_arguments", list),
    }
)

#: nbsphinx values (its ``app.add_config_value`` calls) not applied here, and why
NBSPHINX_NOT_APPLIED: dict[str, str] = {
    "nbsphinx_codecell_lexer": (
        "the lexer of code cells comes from the notebook's language (ipython3 for Python)"
    ),
    "nbsphinx_widgets_path": (
        "widget pages load the Jupyter widgets manager themselves (only pages with widget state)"
    ),
    "nbsphinx_widgets_options": "widget pages load the Jupyter widgets manager themselves",
    "nbsphinx_requirejs_path": "RequireJS is not loaded: the widgets manager does not need it",
    "nbsphinx_requirejs_options": "RequireJS is not loaded: the widgets manager does not need it",
    "nbsphinx_prompt_width": "nbsphinx's prompt column layout is not used (nbcache.css styles it)",
    "nbsphinx_responsive_width": "nbsphinx's prompt column layout is not used",
    "nbsphinx_assume_equations": (
        "MathJax is loaded on pages with math, which markdown cells' $...$ makes"
    ),
}


def warn_inapplicable_nbsphinx_values(app: Sphinx, config: Config) -> None:
    """``config-inited``: one warning per nbsphinx value set in conf.py that does not apply."""
    raw = conf_py_values(config)
    if "nbsphinx" in config.extensions:
        return  # nbsphinx itself reads them
    for name, why in NBSPHINX_NOT_APPLIED.items():
        if name in raw:
            logger.warning(
                "%s is not applied by sphinx-nbcache: %s",
                name,
                why,
                type="nbcache",
                subtype="config",
            )


# -- notebook metadata: the peers' per-notebook settings in our names ---------------------------
#: MyST-NB's notebook-level ``mystnb`` keys -> our setting names
MYSTNB_NOTEBOOK_SETTINGS: dict[str, str] = {
    "execution_mode": "execution_mode",
    "execution_timeout": "timeout",
    "execution_allow_errors": "allow_errors",
}

#: nbsphinx's notebook-level ``nbsphinx`` keys (besides ``execute``) -> our setting names
NBSPHINX_NOTEBOOK_SETTINGS: dict[str, str] = {
    "allow_errors": "allow_errors",
    "timeout": "timeout",
}


def peer_notebook_settings(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The execution settings a notebook's ``mystnb`` and ``nbsphinx`` metadata set, in our
    names (``execution_mode``, ``timeout``, ``allow_errors``), nbsphinx's over MyST-NB's.

    Values are translated (nbsphinx's ``execute: never`` is ``off``), not checked: the caller
    checks them as it checks our own ``nbcache`` metadata.
    """
    out: dict[str, Any] = {}
    mystnb = metadata.get("mystnb")
    if isinstance(mystnb, Mapping):
        for theirs, ours in MYSTNB_NOTEBOOK_SETTINGS.items():
            if theirs in mystnb:
                out[ours] = mystnb[theirs]
    nbsphinx = metadata.get("nbsphinx")
    if isinstance(nbsphinx, Mapping):
        if nbsphinx.get("execute") in NBSPHINX_EXECUTE:
            out["execution_mode"] = NBSPHINX_EXECUTE[nbsphinx["execute"]]
        for theirs, ours in NBSPHINX_NOTEBOOK_SETTINGS.items():
            if theirs in nbsphinx:
                out[ours] = nbsphinx[theirs]
    return out

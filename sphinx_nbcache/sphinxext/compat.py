"""Honour the ``conf.py`` values of MyST-NB and nbsphinx, so switching is a one-line change.

Sphinx silently ignores values no extension registers; a project that set
``nb_execution_mode = "off"`` or ``nbsphinx_execute = "never"`` would otherwise start
executing on the switch. Each peer value present in ``conf.py`` sets our equivalent, unless
the project sets ours too (ours wins). Peer values are only read, never registered, so both
extensions can still be loaded side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from .sphinx_versions import conf_py_values

logger = logging.getLogger(__name__)


def _mode(value: Any) -> Any:
    # myst-nb: off/auto/cache/force/inline; nbsphinx: never/auto/always
    return {"never": "off", "always": "force", "inline": "cache"}.get(value, value)


def _timeout(value: Any) -> Any:
    return None if isinstance(value, (int, float)) and value <= 0 else value


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
    "nbsphinx_execute": ("execution_mode", _mode),
    "nbsphinx_timeout": ("timeout", _timeout),
    "nbsphinx_allow_errors": ("allow_errors", bool),
    "nbsphinx_custom_formats": ("custom_formats", _formats),
}


def adopt_peer_values(app: Sphinx, config: Config) -> None:
    """``config-inited`` (before validation): take over the peers' values not overridden."""
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

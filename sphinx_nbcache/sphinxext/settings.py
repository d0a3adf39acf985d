"""Per-notebook execution settings: ``conf.py`` values, overridden by notebook metadata.

Our own key is ``nbcache`` (names as in ``conf.py`` without the prefix). Projects coming from
nbsphinx or MyST-NB keep working: their notebook metadata means the same here.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sphinx.config import Config

from .metadata_checks import NBSPHINX_EXECUTE as _NBSPHINX_EXECUTE
from .metadata_checks import setting_problem


@dataclass(frozen=True)
class NotebookSettings:
    """How one notebook is executed."""

    execution_mode: str
    timeout: float | None
    notebook_timeout: float | None
    allow_errors: bool
    kernel: str | None  # None: from the notebook's kernelspec
    excluded: bool = False


def _from_conf(config: Config) -> NotebookSettings:
    return NotebookSettings(
        execution_mode=config.nbcache_execution_mode,
        timeout=config.nbcache_timeout,
        notebook_timeout=config.nbcache_notebook_timeout,
        allow_errors=config.nbcache_allow_errors,
        kernel=None,
    )


def _overrides(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Settings named in notebook metadata, weakest source first."""
    out: dict[str, Any] = {}
    mystnb = metadata.get("mystnb")
    if isinstance(mystnb, Mapping):
        for theirs, ours in (
            ("execution_mode", "execution_mode"),
            ("execution_timeout", "timeout"),
            ("execution_allow_errors", "allow_errors"),
        ):
            if theirs in mystnb:
                out[ours] = mystnb[theirs]
    nbsphinx = metadata.get("nbsphinx")
    if isinstance(nbsphinx, Mapping):
        if nbsphinx.get("execute") in _NBSPHINX_EXECUTE:
            out["execution_mode"] = _NBSPHINX_EXECUTE[nbsphinx["execute"]]
        for key in ("allow_errors", "timeout"):
            if key in nbsphinx:
                out[key] = nbsphinx[key]
    own = metadata.get("nbcache")
    if isinstance(own, Mapping):
        for key in ("execution_mode", "timeout", "notebook_timeout", "allow_errors", "kernel"):
            if key in own:
                out[key] = own[key]
    return out


def notebook_settings(
    config: Config, metadata: Mapping[str, Any], relpath: str
) -> tuple[NotebookSettings, list[str]]:
    """The settings of one notebook, and a list of problems with its settings' values.

    The shapes of the metadata around them are checked by ``metadata_checks``.

    :param relpath: the source path relative to the source folder (POSIX), for exclusion.
    """
    settings = _from_conf(config)
    problems: list[str] = []
    for key, value in _overrides(metadata).items():
        problem = setting_problem(key, value)
        if problem is not None:
            problems.append(problem)
            continue
        if key in ("timeout", "notebook_timeout") and value is not None and value <= 0:
            value = None  # nbsphinx and myst-nb use -1 for "no limit"
        settings = replace(settings, **{key: value})
    if any(fnmatch.fnmatch(relpath, pattern) for pattern in config.nbcache_exclude_patterns):
        settings = replace(settings, excluded=True)
    return settings, problems


def kernel_name(config: Config, settings: NotebookSettings, metadata: Mapping[str, Any]) -> str:
    """The kernel a notebook runs on: override, kernelspec or default, then aliases."""
    name = (
        settings.kernel or (metadata.get("kernelspec") or {}).get("name") or config.nbcache_kernel
    )
    name = config.nbcache_kernel_aliases.get(name, name)
    # MyST-NB's nb_kernel_rgx_aliases: the first pattern matching the whole name wins
    for pattern, replacement in config.nbcache_kernel_rgx_aliases.items():
        if re.fullmatch(pattern, name):
            return replacement
    return name

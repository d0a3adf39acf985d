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

from sphinx_nbcache.engine import ExecutionOptions, limit

from .compat import peer_notebook_settings
from .metadata_checks import setting_problem
from .snapshot import NbcacheConfig, nbcache_config

#: the settings our own ``nbcache`` notebook metadata may set (names as in ``conf.py``)
OWN_SETTINGS = ("execution_mode", "timeout", "notebook_timeout", "allow_errors", "kernel")

#: what the functions here take: this run's snapshot, or a ``Config`` (its snapshot is used)
ConfigSource = NbcacheConfig | Config


@dataclass(frozen=True)
class NotebookSettings:
    """How one notebook is executed."""

    execution_mode: str
    timeout: float | None
    notebook_timeout: float | None
    allow_errors: bool
    kernel: str | None  # None: from the notebook's kernelspec
    excluded: bool = False


def _from_conf(conf: NbcacheConfig) -> NotebookSettings:
    return NotebookSettings(
        execution_mode=conf.execution_mode,
        timeout=conf.timeout,
        notebook_timeout=conf.notebook_timeout,
        allow_errors=conf.allow_errors,
        kernel=None,
    )


def _overrides(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Settings named in notebook metadata, weakest source first: the peers' (translated by
    :mod:`.compat`), then our own ``nbcache`` key."""
    out = peer_notebook_settings(metadata)
    own = metadata.get("nbcache")
    if isinstance(own, Mapping):
        out.update({key: own[key] for key in OWN_SETTINGS if key in own})
    return out


def notebook_settings(
    config: ConfigSource, metadata: Mapping[str, Any], relpath: str
) -> tuple[NotebookSettings, list[str]]:
    """The settings of one notebook, and a list of problems with its settings' values.

    The shapes of the metadata around them are checked by ``metadata_checks``.

    :param config: this run's snapshot (a ``Config`` stands for its snapshot).
    :param relpath: the source path relative to the source folder (POSIX), for exclusion.
    """
    conf = nbcache_config(config)
    settings = _from_conf(conf)
    problems: list[str] = []
    for key, value in _overrides(metadata).items():
        problem = setting_problem(key, value)
        if problem is not None:
            problems.append(problem)
            continue
        if key in ("timeout", "notebook_timeout"):
            value = limit(value)  # nbsphinx and myst-nb use -1 for "no limit"
        settings = replace(settings, **{key: value})
    if any(fnmatch.fnmatch(relpath, pattern) for pattern in conf.exclude_patterns):
        settings = replace(settings, excluded=True)
    return settings, problems


def kernel_name(
    config: ConfigSource, settings: NotebookSettings, metadata: Mapping[str, Any]
) -> str:
    """The kernel a notebook runs on: override, kernelspec or default, then aliases."""
    conf = nbcache_config(config)
    name = settings.kernel or (metadata.get("kernelspec") or {}).get("name") or conf.kernel
    name = conf.kernel_aliases.get(name, name)
    # MyST-NB's nb_kernel_rgx_aliases: the first pattern matching the whole name wins
    for pattern, replacement in conf.kernel_rgx_aliases.items():
        if re.fullmatch(pattern, name):
            return replacement
    return name


def execution_options(
    config: ConfigSource, settings: NotebookSettings, kernel: str | None = None
) -> ExecutionOptions:
    """How a notebook with these settings runs.

    :param config: this run's snapshot (a ``Config`` stands for its snapshot).
    :param kernel: the kernel as :func:`kernel_name` resolved it; ``None``: the notebook's
        kernelspec (enough for :meth:`ExecutionOptions.outcome_settings`, which leaves the
        kernel out: it is in the key).
    """
    conf = nbcache_config(config)
    return ExecutionOptions(
        kernel_name=kernel,
        timeout=settings.timeout,
        notebook_timeout=settings.notebook_timeout,
        allow_errors=settings.allow_errors,
        env=conf.env,
        kernel_arguments=conf.kernel_arguments,
        kernel_start=conf.kernel_start,
        preload=conf.preload,
    )

"""How one notebook is executed: :class:`ExecutionOptions`, the same for every front end.

Built once per notebook, by the Sphinx build (``conf.py`` plus the notebook's metadata, peer
settings translated by ``sphinxext.compat``) or by the command line (its options), with the
same defaults, and handed unchanged to the executor backend.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: what ``nbcache_executor`` means unless set (here, not with the backends: Sphinx's
#: configuration reads it without importing any executor)
DEFAULT_EXECUTOR = "local"

#: seconds one cell may run, unless configured (``conf.py``'s default and the command line's)
DEFAULT_TIMEOUT: float | None = 30
#: the cache folder, relative to ``conf.py`` (a build) or the current folder (the CLI)
DEFAULT_CACHE_FOLDER = ".nbcache"
#: the variable that names the cache folder for the command line
CACHE_PATH_VARIABLE = "NBCACHE_PATH"
#: how kernels start: forked from a warm template where that applies, or spawned
KERNEL_STARTS = ("fork", "spawn")


def limit(value: float | None) -> float | None:
    """A time limit as the executor takes it: ``None`` for none (nbsphinx and MyST-NB spell
    "no limit" ``-1``, and 0 means the same)."""
    if value is None or value <= 0:
        return None
    return value


@dataclass(frozen=True)
class ExecutionOptions:
    """Everything besides the notebook that decides how it runs."""

    #: the kernel to run; ``None``: the notebook's kernelspec
    kernel_name: str | None = None
    #: seconds per cell; ``None``: no limit
    timeout: float | None = DEFAULT_TIMEOUT
    #: seconds for the whole notebook, kernel start included; ``None``: no limit
    notebook_timeout: float | None = None
    #: keep going after a cell error (the error is an output, not a failure)
    allow_errors: bool = False
    #: variables added to the kernel's environment
    env: Mapping[str, str] = field(default_factory=dict)
    #: added to the kernel's command line (after its kernelspec's)
    kernel_arguments: Sequence[str] = ()
    #: ``"fork"``: Python kernels fork from a warm template where that applies (the others
    #: start normally); ``"spawn"``: every kernel starts as a new process
    kernel_start: str = "fork"
    #: modules the template imports too, so that kernels find them imported (opt-in)
    preload: Sequence[str] = ()

    def __post_init__(self) -> None:
        # one normalisation for every caller: limits <= 0 mean none; collections frozen
        object.__setattr__(self, "timeout", limit(self.timeout))
        object.__setattr__(self, "notebook_timeout", limit(self.notebook_timeout))
        object.__setattr__(self, "env", dict(self.env))
        object.__setattr__(self, "kernel_arguments", tuple(self.kernel_arguments))
        object.__setattr__(self, "preload", check_preload(self.preload))
        if self.kernel_start not in KERNEL_STARTS:
            raise ValueError(
                f"kernel_start {self.kernel_start!r} is not one of {', '.join(KERNEL_STARTS)}"
            )

    def outcome_settings(self) -> dict[str, Any]:
        """The settings besides the key that can change a run's outcome, kept with a failure
        so that it stands only while they stay as they were. The environment is a digest:
        its values may be secrets, and the cache may be shared."""
        import hashlib
        import json

        return {
            "timeout": self.timeout,
            "notebook_timeout": self.notebook_timeout,
            "allow_errors": self.allow_errors,
            "env": hashlib.sha256(json.dumps(dict(self.env), sort_keys=True).encode()).hexdigest(),
        }


def check_preload(modules: Sequence[str] | str) -> tuple[str, ...]:
    """``modules`` as a tuple of module names, once each.

    :raises ValueError: for a name that is not a module name.
    """
    if isinstance(modules, str):
        raise ValueError(f"preload must be a list of module names, not the string {modules!r}")
    out: list[str] = []
    for name in modules:
        if not isinstance(name, str) or not all(p.isidentifier() for p in name.split(".")):
            raise ValueError(f"preload: {name!r} is not a module name")
        if name not in out:
            out.append(name)
    return tuple(out)


def resolve_cache_path(value: str | os.PathLike[str] | None, base: str | os.PathLike[str]) -> Path:
    """The cache folder: ``value`` (relative to ``base``), or ``.nbcache`` in ``base``.

    The one resolver: a build passes ``nbcache_path`` and the folder of ``conf.py``; the
    command line its ``--cache-path`` (or ``$NBCACHE_PATH``) and the current folder.
    """
    path = Path(value) if value else Path(DEFAULT_CACHE_FOLDER)
    return path if path.is_absolute() else Path(base) / path


def cli_cache_path(value: str | os.PathLike[str] | None = None) -> Path:
    """The command line's cache folder: ``value``, else ``$NBCACHE_PATH``, else ``.nbcache``
    (relative paths stay relative to the current folder)."""
    chosen = value or os.environ.get(CACHE_PATH_VARIABLE) or DEFAULT_CACHE_FOLDER
    return Path(chosen)

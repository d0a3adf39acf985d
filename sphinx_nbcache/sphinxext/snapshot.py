"""The project's configuration as one frozen value, built once per run at ``config-inited``.

Every ``nbcache_*`` value is a typed field of :class:`NbcacheConfig`, read after the
conversions :mod:`.config` and :mod:`.compat` make (``-D`` texts, the peers' values adopted,
validation), with lists as tuples and mappings read-only; the values derived from them (the
cache folder, the tracked-dependency root, nbsphinx's prompt formats) are its properties.
Code reads settings from the snapshot, never ``config.nbcache_*`` (the pattern of
``sphinx.ext.intersphinx``'s ``_InvConfig.from_config``).

Where it lives: on the run's :class:`sphinx.config.Config` object, as an attribute whose
name starts with ``_``, which Sphinx leaves out when it pickles the environment. So it is
never read stale from a pickled environment (``env.config`` is the run's ``app.config``
again once the environment is loaded), and ``-j`` readers, forked after ``config-inited``,
inherit it with the rest of the process's memory. :func:`nbcache_config` finds it from the
application, the environment or the configuration.

It is taken at ``config-inited`` priority 410 (after validation at 400): a value another
extension sets later (a ``config-inited`` handler of a higher priority, or ``builder-inited``)
is not seen; set it earlier, or in ``conf.py``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

from sphinx_nbcache.engine import resolve_cache_path

from .config import CONFIG_VALUES
from .sphinx_versions import conf_py_values

#: the attribute of the ``Config`` holding the snapshot (``_``: never pickled by Sphinx)
_ATTRIBUTE = "_nbcache_snapshot"

#: nbsphinx's prompt format (``nbsphinx_input_prompt`` / ``nbsphinx_output_prompt``)
DEFAULT_PROMPT = "[%s]:"

_DEFAULTS: dict[str, Any] = {value.name: value.default for value in CONFIG_VALUES}


def _frozen(value: Any) -> Any:
    """A list as a tuple, a mapping read-only with its list values as tuples
    (``{glob: [patterns]}``); deeper levels (an image option's value) stay as they are."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _tuple(v) for k, v in value.items()})
    return _tuple(value)


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _thawed(value: Any) -> Any:
    """A read-only mapping as a dict, for pickling (a ``mappingproxy`` does not pickle)."""
    return dict(value) if isinstance(value, MappingProxyType) else value


def _default(name: str) -> Any:
    """A dataclass field defaulting to ``conf.py``'s default of ``nbcache_<name>``."""
    value = _DEFAULTS[name]
    if isinstance(value, (dict, list)):
        return field(default_factory=lambda: _frozen(value))
    return field(default=value)


@dataclass(frozen=True)
class NbcacheConfig:
    """Every ``nbcache_*`` value of one run (names without the prefix), and where it runs.

    Build it with :meth:`from_config` (a build does, at ``config-inited``) and find it with
    :func:`nbcache_config`; in tests, ``NbcacheConfig(timeout=5, ...)`` gives the other
    values their ``conf.py`` defaults.
    """

    # (_default returns a dataclass field, which ruff's RUF009 cannot see)
    path: str | os.PathLike[str] | None = _default("path")  # noqa: RUF009
    execution_mode: str = _default("execution_mode")
    jobs: int | None = _default("jobs")
    timeout: float | None = _default("timeout")
    notebook_timeout: float | None = _default("notebook_timeout")
    allow_errors: bool = _default("allow_errors")
    raise_on_error: bool = _default("raise_on_error")
    exclude_patterns: tuple[str, ...] = _default("exclude_patterns")
    kernel: str = _default("kernel")
    kernel_aliases: Mapping[str, str] = _default("kernel_aliases")
    kernel_arguments: tuple[str, ...] = _default("kernel_arguments")
    kernel_start: str = _default("kernel_start")
    preload: tuple[str, ...] = _default("preload")
    executor: Any = _default("executor")  # noqa: RUF009 - a text or a callable
    shared_filesystem: bool = _default("shared_filesystem")
    ship_limit: int = _default("ship_limit")
    remote: str | None = _default("remote")
    remote_options: Mapping[str, Any] = _default("remote_options")
    remote_mode: str = _default("remote_mode")
    env: Mapping[str, str] = _default("env")
    custom_formats: Mapping[str, str] = _default("custom_formats")
    output_stderr: str = _default("output_stderr")
    mime_priority: Mapping[str, tuple[str, ...]] = _default("mime_priority")
    merge_streams: bool = _default("merge_streams")
    dependencies: Mapping[str, tuple[str, ...]] = _default("dependencies")
    env_vars: tuple[str, ...] = _default("env_vars")
    #: ``"packages"``, ``"off"``, or lock-file glob patterns
    env_fingerprint: str | tuple[str, ...] = _default("env_fingerprint")
    dependency_root: str | os.PathLike[str] | None = _default("dependency_root")  # noqa: RUF009
    retry_failed: bool = _default("retry_failed")
    prolog: str | None = _default("prolog")
    epilog: str | None = _default("epilog")
    show_progress: bool = _default("show_progress")
    eval_name_regex: str = _default("eval_name_regex")
    kernel_rgx_aliases: Mapping[str, str] = _default("kernel_rgx_aliases")
    remove_code_source: bool = _default("remove_code_source")
    remove_code_outputs: bool = _default("remove_code_outputs")
    number_source_lines: bool = _default("number_source_lines")
    scroll_outputs: bool = _default("scroll_outputs")
    code_prompt_show: str = _default("code_prompt_show")
    code_prompt_hide: str = _default("code_prompt_hide")
    text_lexer: str = _default("text_lexer")
    error_lexer: str = _default("error_lexer")
    image_options: Mapping[str, Any] = _default("image_options")
    figure_options: Mapping[str, Any] = _default("figure_options")
    prompts: bool = _default("prompts")
    output_limit: int | None = _default("output_limit")

    # -- where the run is, and what conf.py holds for the peers (not nbcache_* values) ------
    #: the folder of ``conf.py`` (relative paths of the values are taken from it)
    confdir: Path = field(default_factory=Path.cwd)
    #: the source folder (the default dependency root)
    srcdir: Path | None = None
    #: nbsphinx's ``nbsphinx_input_prompt`` / ``nbsphinx_output_prompt``, as set
    input_prompt: str = DEFAULT_PROMPT
    output_prompt: str = DEFAULT_PROMPT

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, (list, dict)):  # given by hand: frozen as from_config does
                object.__setattr__(self, item.name, _frozen(value))

    def __reduce__(self) -> tuple[Any, ...]:
        state = {item.name: _thawed(getattr(self, item.name)) for item in fields(self)}
        return (_rebuild, (state,))

    @classmethod
    def from_config(
        cls,
        config: Config | Mapping[str, Any],
        confdir: str | os.PathLike[str],
        srcdir: str | os.PathLike[str] | None = None,
    ) -> NbcacheConfig:
        """The snapshot of ``config``'s values (read with ``config[name]``).

        :param confdir: the folder of ``conf.py``.
        :param srcdir: the source folder (default: ``confdir``).
        """
        values = {value.name: _frozen(config[value.full_name]) for value in CONFIG_VALUES}
        raw = conf_py_values(config)  # type: ignore[arg-type]
        return cls(
            **values,
            confdir=Path(confdir).absolute(),
            srcdir=Path(srcdir if srcdir is not None else confdir).absolute(),
            input_prompt=_prompt(raw.get("nbsphinx_input_prompt")),
            output_prompt=_prompt(raw.get("nbsphinx_output_prompt")),
        )

    # -- derived values -----------------------------------------------------------------------
    @property
    def cache_path(self) -> Path:
        """The cache folder: ``nbcache_path`` (relative to ``conf.py``) or ``.nbcache`` there."""
        return resolve_cache_path(self.path, self.confdir)

    @property
    def tracked_root(self) -> Path:
        """Files read and modules imported inside this folder are a run's dependencies:
        ``nbcache_dependency_root`` (relative to ``conf.py``), else the source folder."""
        if self.dependency_root:
            return (self.confdir / self.dependency_root).absolute()
        return self.srcdir or self.confdir

    @property
    def fingerprints_packages(self) -> bool:
        """Whether a record is stale when a package it imported changed version."""
        return self.env_fingerprint == "packages"

    @property
    def lock_files(self) -> tuple[str, ...]:
        """Lock-file glob patterns (relative to ``conf.py``) whose content is in every key."""
        return () if isinstance(self.env_fingerprint, str) else tuple(self.env_fingerprint)


def _rebuild(state: dict[str, Any]) -> NbcacheConfig:
    return NbcacheConfig(**state)


def _prompt(value: object) -> str:
    return value if isinstance(value, str) and "%s" in value else DEFAULT_PROMPT


def remember(app: Sphinx, config: Config) -> None:
    """``config-inited`` (after validation): build this run's snapshot and keep it."""
    snapshot = NbcacheConfig.from_config(config, app.confdir, app.srcdir)
    object.__setattr__(config, _ATTRIBUTE, snapshot)


def nbcache_config(source: Any) -> NbcacheConfig:
    """This run's :class:`NbcacheConfig`, from the application, the environment, its
    ``Config`` or the snapshot itself (returned as is); in a ``-j`` reader too.

    A configuration that has not been through ``config-inited`` (a ``Config`` made by hand,
    a mapping of ``nbcache_*`` names) gets a snapshot built on the spot and not kept.
    """
    if isinstance(source, NbcacheConfig):
        return source
    config = getattr(source, "config", source)
    found = vars(config).get(_ATTRIBUTE) if hasattr(config, "__dict__") else None
    if isinstance(found, NbcacheConfig):
        return found
    confdir = getattr(source, "confdir", None) or _conf_py_folder(config)
    return NbcacheConfig.from_config(config, confdir, getattr(source, "srcdir", None))


def _conf_py_folder(config: Any) -> Path:
    conf_py = conf_py_values(config).get("__file__")
    return Path(conf_py).parent if isinstance(conf_py, str) else Path.cwd()

"""Every ``nbcache_*`` configuration value: declared once, registered, validated, documented.

The documentation's table of options is generated from :data:`CONFIG_VALUES`, so it cannot drift.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

from sphinx_nbcache.engine import DEFAULT_EXECUTOR, DEFAULT_SHIP_LIMIT, KERNEL_STARTS

from . import config_checks as checks

logger = logging.getLogger(__name__)

EXECUTION_MODES = ("cache", "force", "auto", "off", "inline")
STDERR_MODES = ("show", "remove", "warn")


@dataclass(frozen=True)
class ConfigValue:
    """One ``conf.py`` value."""

    name: str
    default: Any
    types: tuple[type, ...]
    description: str
    choices: tuple[Any, ...] = ()
    #: extra check: returns an error text, or None when the value is fine
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)
    rebuild: Literal["", "env", "html"] = "env"

    @property
    def full_name(self) -> str:
        return "nbcache_" + self.name


CONFIG_VALUES: tuple[ConfigValue, ...] = (
    ConfigValue(
        "path",
        None,
        (str, os.PathLike, type(None)),
        "Cache folder; relative paths are taken from the folder of ``conf.py``. "
        "Default: ``.nbcache`` next to ``conf.py`` (it survives ``make clean``).",
    ),
    ConfigValue(
        "execution_mode",
        "auto",
        (str,),
        "``auto``: a notebook with stored outputs is shown as stored, never executed; the others "
        "execute through the cache (once, then served from it); ``cache``: every notebook "
        "executes through the cache, stored outputs or not; ``force``: execute every notebook "
        "read; ``off``: render the outputs stored in the files; ``inline``: as ``cache``, and "
        "the ``{eval}`` expressions of the markdown are evaluated in the kernel and cached with "
        "the outputs.",
        choices=EXECUTION_MODES,
    ),
    ConfigValue(
        "jobs",
        None,
        (int, type(None)),
        "How many notebooks execute at once; default twice the number of CPUs (at most 8 more than "
        "them): kernels spend part of their life waiting. With the ``dask`` executor: how many "
        "worker processes its local cluster has; default the number of CPUs.",
        check=checks.positive_or_none,
    ),
    ConfigValue(
        "timeout",
        30,
        (int, float, type(None)),
        "Seconds one cell may run before the notebook fails; ``None`` for no limit.",
        check=checks.positive_or_none,
    ),
    ConfigValue(
        "notebook_timeout",
        None,
        (int, float, type(None)),
        "Seconds a whole notebook may run (kernel start included); ``None`` for no limit.",
        check=checks.positive_or_none,
    ),
    ConfigValue(
        "allow_errors",
        False,
        (bool,),
        "Keep executing after a cell raises, and cache the notebook with the error shown.",
    ),
    ConfigValue(
        "raise_on_error",
        False,
        (bool,),
        "Fail the build, after every notebook ran, when any notebook failed.",
    ),
    ConfigValue(
        "exclude_patterns",
        [],
        (list, tuple),
        "Glob patterns (on source paths relative to the source folder) of notebooks never "
        "executed: they render the outputs stored in the file.",
        check=checks.str_list,
    ),
    ConfigValue(
        "kernel",
        "python3",
        (str,),
        "Kernel for notebooks whose metadata names none (e.g. percent scripts without a header).",
    ),
    ConfigValue(
        "kernel_aliases",
        {},
        (dict,),
        "Kernel names to replace, e.g. ``{'python': 'python3'}``.",
        check=checks.str_dict,
    ),
    ConfigValue(
        "kernel_arguments",
        [],
        (list, tuple),
        "Command-line arguments added to every kernel's start, e.g. "
        "``[\"--InlineBackend.rc={'figure.dpi': 96}\"]`` (set by ``nbsphinx_execute_arguments``); "
        "part of the cache key.",
        check=checks.str_list,
    ),
    ConfigValue(
        "kernel_start",
        "fork",
        (str,),
        "``fork``: Python kernels are forked from a warm process that has imported ipykernel "
        "(see :doc:`forked-kernels`), where that applies; the others start normally. "
        "``spawn``: every kernel starts as a new process.",
        choices=KERNEL_STARTS,
        rebuild="",
    ),
    ConfigValue(
        "preload",
        [],
        (list, tuple),
        'Modules the warm process of forked kernels imports too (e.g. ``["numpy", '
        '"matplotlib.pyplot"]``), so that kernels start with them imported; opt-in.',
        check=checks.preload,
        rebuild="",
    ),
    ConfigValue(
        "executor",
        DEFAULT_EXECUTOR,
        (str, type(lambda: None)),
        "Where stale notebooks run: ``local`` (this machine), ``dask`` (a Dask ``LocalCluster`` "
        "of ``nbcache_jobs`` workers), a Dask scheduler's address, or a callable returning a "
        "``distributed.Client`` (see :doc:`cluster`).",
        rebuild="",
    ),
    ConfigValue(
        "shared_filesystem",
        False,
        (bool,),
        "Dask workers see the project at the same path: notebooks run in place, nothing is "
        "shipped.",
        rebuild="",
    ),
    ConfigValue(
        "ship_limit",
        DEFAULT_SHIP_LIMIT,
        (int,),
        "Bytes of a notebook's folder shipped to a Dask worker, at most.",
        check=checks.positive_or_none,
        rebuild="",
    ),
    ConfigValue(
        "remote",
        None,
        (str, type(None)),
        "A remote cache shared by a team and CI (any fsspec URL: ``s3://bucket/prefix``, "
        "``file:///shared/cache``...; see :doc:`sharing`): a notebook the local cache misses "
        "is taken from it, and results are uploaded to it. ``$NBCACHE_REMOTE`` overrides it.",
        rebuild="",
    ),
    ConfigValue(
        "remote_options",
        {},
        (dict,),
        "Options of the remote's fsspec file system (``endpoint_url``, ``profile``...).",
        rebuild="",
    ),
    ConfigValue(
        "remote_mode",
        "read-write",
        (str,),
        "``read-write``, ``read`` (take, never upload: pull requests from forks) or ``off``. "
        "``$NBCACHE_REMOTE_MODE`` overrides it.",
        choices=("read-write", "read", "off"),
        rebuild="",
    ),
    ConfigValue(
        "env",
        {},
        (dict,),
        "Environment variables set for every kernel.",
        check=checks.str_dict,
    ),
    ConfigValue(
        "custom_formats",
        {".pct.py": "py:percent"},
        (dict,),
        "Source suffixes read as notebooks through jupytext, mapped to the jupytext format "
        "(``.ipynb`` and MyST Markdown notebooks are always read).",
        check=checks.suffix_map,
    ),
    ConfigValue(
        "output_stderr",
        "show",
        (str,),
        "What to do with stderr output: ``show`` it, ``remove`` it, or ``warn`` and show it.",
        choices=STDERR_MODES,
    ),
    ConfigValue(
        "mime_priority",
        {},
        (dict,),
        "Per builder name, the MIME types to prefer, best first, before the built-in order.",
        check=checks.mime_priority,
    ),
    ConfigValue(
        "merge_streams",
        True,
        (bool,),
        "Merge consecutive stdout (and stderr) chunks of a cell into one block.",
    ),
    ConfigValue(
        "dependencies",
        {},
        (dict,),
        "Declared dependencies: notebook glob pattern (relative to the source folder) -> list of "
        "file glob patterns whose content is part of the notebook's cache key. Notebook "
        "metadata ``nbcache: {dependencies: [...]}`` adds patterns relative to the notebook.",
        check=checks.dependency_map,
    ),
    ConfigValue(
        "env_vars",
        [],
        (list, tuple),
        "Names of environment variables whose values are part of every notebook's cache key.",
        check=checks.str_list,
    ),
    ConfigValue(
        "env_fingerprint",
        "packages",
        (str, list, tuple),
        "``packages``: a cached result is stale when the version of a distribution it imported "
        "(or Python's) changed; ``off``: ignore versions; a list of lock files "
        "(``requirements.txt``, ``uv.lock``...): their content is part of every key.",
        check=checks.fingerprint,
    ),
    ConfigValue(
        "dependency_root",
        None,
        (str, os.PathLike, type(None)),
        "Files read or modules imported during a run are tracked when inside this folder "
        "(relative to ``conf.py``); default the source folder.",
    ),
    ConfigValue(
        "retry_failed",
        False,
        (bool,),
        "Execute a notebook that failed before even when none of its inputs changed "
        "(by default its failure is reported again from the cache; a kernel that was "
        "missing or did not start is always tried again).",
    ),
    ConfigValue(
        "prolog",
        None,
        (str, type(None)),
        "reStructuredText put before every notebook's content: a Jinja2 template rendered "
        "with the build environment as ``env`` (as nbsphinx's ``nbsphinx_prolog``, which sets "
        "it).",
    ),
    ConfigValue(
        "epilog",
        None,
        (str, type(None)),
        "reStructuredText put after every notebook's content; a template as ``prolog``.",
    ),
    ConfigValue(
        "show_progress",
        True,
        (bool,),
        "Log one line per notebook as it finishes executing.",
    ),
    ConfigValue(
        "eval_name_regex",
        r"^[a-zA-Z_][a-zA-Z0-9_]*$",
        (str,),
        "In ``inline`` mode, the ``{eval}`` expressions evaluated: those matching this "
        "regular expression (by default plain variable names).",
        check=checks.regex,
    ),
    # -- MyST-NB's display options (their ``nb_*`` values map here; see compat.py) --------
    ConfigValue(
        "kernel_rgx_aliases",
        {},
        (dict,),
        "Regular expressions matched against the whole kernel name, mapped to the kernel to "
        "use instead, e.g. ``{'.*': 'python3'}`` (after ``kernel_aliases``).",
        check=checks.regex_map,
    ),
    ConfigValue(
        "remove_code_source",
        False,
        (bool,),
        "Remove the source of every code cell (cell metadata ``mystnb: {remove_code_source}`` "
        "does it for one cell).",
    ),
    ConfigValue(
        "remove_code_outputs",
        False,
        (bool,),
        "Remove the outputs of every code cell.",
    ),
    ConfigValue(
        "number_source_lines",
        False,
        (bool,),
        "Number the lines of code cells.",
    ),
    ConfigValue(
        "scroll_outputs",
        False,
        (bool,),
        "Make long cell outputs scroll (the tag ``scroll-output`` does it for one cell).",
    ),
    ConfigValue(
        "code_prompt_show",
        "Show code cell {type}",
        (str,),
        "Summary of a folded (``hide-*``) part; ``{type}`` is ``source``, ``outputs`` or "
        "``content``.",
    ),
    ConfigValue(
        "code_prompt_hide",
        "Hide code cell {type}",
        (str,),
        "Summary of an unfolded ``hide-*`` part (shown once opened, where the theme supports it).",
    ),
    ConfigValue(
        "text_lexer",
        "none",
        (str,),
        "Pygments lexer of stream and ``text/plain`` outputs.",
    ),
    ConfigValue(
        "error_lexer",
        "none",
        (str,),
        "Pygments lexer of tracebacks (``ipythontb`` highlights them).",
    ),
    ConfigValue(
        "image_options",
        {},
        (dict,),
        "Options of every image output: ``width``, ``height``, ``scale``, ``alt``, ``align``, "
        "``classes`` (cell metadata ``mystnb: {image: {...}}`` for one cell).",
    ),
    ConfigValue(
        "figure_options",
        {},
        (dict,),
        "Options of every image output as a figure: ``caption``, ``name`` (a label for "
        "``{ref}``/``{numref}``), ``classes``, ``align``, ``caption_before`` (cell metadata "
        "``mystnb: {figure: {...}}`` for one cell).",
    ),
    ConfigValue(
        "prompts",
        False,
        (bool,),
        "Show input and output prompts (``[1]:``) beside code cells, as nbsphinx does; on "
        "when ``conf.py`` sets ``nbsphinx_input_prompt`` or ``nbsphinx_output_prompt``.",
    ),
    ConfigValue(
        "output_limit",
        1_000_000,
        (int, type(None)),
        "Characters of one text output (stream, ``text/plain``, traceback, ``text/html``, "
        "``text/markdown``, ``text/latex``) shown in a page; a longer one is cut, with a marker "
        "and a link to its full text as a download, and a warning (``nbcache.output``) once "
        "per notebook. The cache keeps the whole output. ``None`` (or ``0``, for ``-D``) for "
        "no limit.",
        check=checks.output_limit,
    ),
)


def register(app: Sphinx) -> None:
    """Register every value with ``app.add_config_value``."""
    for value in CONFIG_VALUES:
        app.add_config_value(
            value.full_name, value.default, value.rebuild, types=frozenset(value.types)
        )
    # at set-up, before anything reads a value: Sphinx converts an override on first read
    convert_overrides(app.config)


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def from_text(value: ConfigValue, received: Any) -> Any:
    """Convert a ``sphinx-build -D name=text`` string to the value's type, as Sphinx converts
    its own values; anything that does not convert is returned unchanged (and then refused).

    Only values that cannot hold text are converted: a string is a string where ``str`` is
    allowed. ``"none"`` is None where None is allowed; bools take 1/0, true/false, yes/no.
    """
    if not isinstance(received, str) or str in value.types:
        return received
    text = received.strip().lower()
    if type(None) in value.types and text in ("none", ""):
        return None
    if bool in value.types:
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    for kind in (int, float):
        if kind in value.types:
            try:
                return kind(text)
            except ValueError:
                pass
    return received


def convert_overrides(config: Config) -> None:
    """Convert the ``-D`` texts of our values (see :func:`from_text`), before Sphinx does.

    Sphinx converts a ``-D`` text by the default's type only: ``-D nbcache_jobs=4`` stays the
    text ``'4'`` (the default is None), ``nbcache_timeout=2.5`` is refused (the default is an
    int), ``-D nbcache_allow_errors=true`` too. An override that is not text is used as is.
    """
    overrides = getattr(config, "_overrides", None)
    if not isinstance(overrides, dict):
        return
    for value in CONFIG_VALUES:
        raw = overrides.get(value.full_name)
        if isinstance(raw, str):
            overrides[value.full_name] = from_text(value, raw)


def validate(app: Sphinx, config: Config) -> None:
    """``config-inited``: log one error per bad value, then raise ``ConfigError``."""
    errors = 0
    for value in CONFIG_VALUES:
        received = getattr(config, value.full_name)
        if value.types == (bool,) and type(received) is int and received in (0, 1):
            # an older Sphinx turns `-D name=1` for a bool value into the int 1
            received = bool(received)
            setattr(config, value.full_name, received)
        problem: str | None = None
        if not isinstance(received, value.types):
            expected = " or ".join("None" if t is type(None) else t.__name__ for t in value.types)
            problem = f"must be {expected}"
        elif value.choices and received not in value.choices:
            problem = "must be one of " + ", ".join(repr(c) for c in value.choices)
        elif value.check is not None:
            problem = value.check(received)
        if problem:
            logger.error(
                "%s %s, received %r (%s)",
                value.full_name,
                problem,
                received,
                type(received).__name__,
            )
            errors += 1
    if errors:
        raise ConfigError(
            f"{errors} invalid nbcache configuration value{'s' if errors > 1 else ''}; "
            "see the errors above"
        )

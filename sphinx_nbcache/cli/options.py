"""What every ``nbcache`` command shares: the cache-path option, errors, prompts, output.

Every command gets its cache through :func:`open_cache`, which honours ``-p/--cache-path``
given on any level (``nbcache -p X cache list``, ``nbcache cache -p X list`` and
``nbcache cache list -p X`` all work; the innermost wins), then ``$NBCACHE_PATH``, then
``./.nbcache``.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from sphinx_nbcache.engine import NotebookCache

# The engine is imported only inside functions: it imports nbformat, whose start-up can take
# seconds, and `--help`, `--version` and shell completion should answer at once.

F = TypeVar("F", bound=Callable[..., Any])

#: where the innermost ``--cache-path`` given on the command line is kept
_META_KEY = "nbcache.cache_path"
ENVVAR = "NBCACHE_PATH"


# -- errors -------------------------------------------------------------------------------
def one_line(text: str) -> str:
    """Collapse a message onto one line (engine messages may quote multi-line library text)."""
    return re.sub(r"\s*\n\s*", " ", str(text)).strip()


def error_message(exc: BaseException) -> str:
    """The one-line message shown for an engine or file-system error."""
    if isinstance(exc, OSError) and not _is_engine_error(exc):
        where = exc.filename if exc.filename is not None else ""
        what = exc.strerror or str(exc)
        return one_line(f"{where}: {what}" if where else what)
    return one_line(str(exc))


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn engine and file errors into :class:`click.ClickException` (one line, exit 1)."""
    try:
        yield
    except click.ClickException:
        raise
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
            raise  # `nbcache cache list | head`: click handles it
        if isinstance(exc, OSError) or _is_engine_error(exc):
            raise click.ClickException(error_message(exc)) from None
        raise


def _is_engine_error(exc: BaseException) -> bool:
    engine = sys.modules.get("sphinx_nbcache.engine.errors")
    return engine is not None and isinstance(exc, engine.NbCacheError)


class NbcacheGroup(click.Group):
    """A command group that reports engine errors as one line on stderr, never a traceback.

    Used for every group, so that a command added later (``main.add_command``) gets the same
    treatment without doing anything.
    """

    def invoke(self, ctx: click.Context) -> Any:
        with translated_errors():
            return super().invoke(ctx)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # the same completion variable whether run as `nbcache` or `python -m sphinx_nbcache`
        kwargs.setdefault("complete_var", "_NBCACHE_COMPLETE")
        return super().main(*args, **kwargs)


# -- the cache path -------------------------------------------------------------------------
def _remember_cache_path(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    source = ctx.get_parameter_source(param.name or "cache_path")
    if value is not None and source == click.core.ParameterSource.COMMANDLINE:
        ctx.meta[_META_KEY] = Path(value)
    return value


def cache_path_option(func: F) -> F:
    """``-p/--cache-path PATH`` (env ``NBCACHE_PATH``), accepted on groups and commands."""
    return click.option(
        "-p",
        "--cache-path",
        type=click.Path(file_okay=False, path_type=Path),
        envvar=ENVVAR,
        show_envvar=True,
        default=None,
        callback=_remember_cache_path,
        expose_value=False,
        is_eager=False,
        help="The cache folder.  [default: .nbcache in the current folder]",
    )(func)


def cache_path(ctx: click.Context | None = None) -> Path:
    """The cache folder this invocation uses."""
    from sphinx_nbcache.engine import default_cache_path

    ctx = ctx or click.get_current_context()
    chosen = ctx.meta.get(_META_KEY)
    return Path(chosen) if chosen is not None else default_cache_path()


def cache_exists(path: Path) -> bool:
    """Whether a cache database exists in ``path`` (read-only commands never create one).

    :raises click.ClickException: ``path`` is a file, or a folder given with ``-p`` or
        ``$NBCACHE_PATH`` does not exist (a typo must not read as an empty cache).
    """
    from sphinx_nbcache.engine import DB_NAME

    if path.exists() and not path.is_dir():
        raise click.ClickException(
            f"{path.absolute()} is a file, not a cache folder; move it away or choose "
            "another folder with -p/--cache-path"
        )
    chosen = click.get_current_context().meta.get(_META_KEY) is not None or bool(
        os.environ.get(ENVVAR)
    )
    if chosen and not path.exists():
        raise click.ClickException(
            f"no cache in {path.absolute()}: the folder does not exist; check "
            "-p/--cache-path (or $NBCACHE_PATH)"
        )
    return (path / DB_NAME).exists()


def open_cache(*, must_exist: bool = False) -> NotebookCache:
    """The cache of this invocation.

    :param must_exist: refuse, rather than create, a cache that does not exist yet (for
        commands that only read or remove, so that they never leave a new folder behind).
    :raises click.ClickException: ``must_exist`` and there is no cache.
    """
    from sphinx_nbcache.engine import NotebookCache

    path = cache_path()
    if must_exist and not cache_exists(path):
        raise click.ClickException(
            f"no cache in {path.absolute()}: nothing was cached or staged there yet "
            "(`nbcache cache add` or `nbcache stage add` creates it; -p chooses another)"
        )
    cache = NotebookCache(path)
    ctx = click.get_current_context()
    ctx.call_on_close(cache.close)
    return cache


# -- inputs ---------------------------------------------------------------------------------
def read(path: Path, reader: str = "auto") -> NotebookNode:
    """Read a notebook file (see :func:`sphinx_nbcache.engine.read_notebook`)."""
    from sphinx_nbcache.engine import read_notebook

    return read_notebook(path, reader)


def check_inside(items: tuple[Path, ...], notebook: Path, what: str, files_only: bool) -> None:
    """Refuse any of ``items`` (relative to the current folder) outside ``notebook``'s folder.

    :param what: ``"artefact"`` or ``"asset"``, for the messages.
    :param files_only: refuse folders too.
    """
    from sphinx_nbcache.engine import ArtefactError, relative_inside

    folder = notebook.absolute().parent
    for item in items:
        try:
            relative_inside(item.absolute(), folder)
        except ArtefactError as exc:
            raise click.ClickException(
                f"{exc}; an {what} must be inside the notebook's folder"
            ) from None
        if not item.exists():
            raise click.ClickException(f"{item}: no such {what}; check the path")
        if files_only and not item.is_file():
            raise click.ClickException(f"{item}: not a file; an {what} must be a file")


# -- prompts --------------------------------------------------------------------------------
def stdin_is_tty() -> bool:
    """Whether a person can answer a prompt (tests patch this)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def yes_option(func: F) -> F:
    """``-y/--yes``: answer yes to every question (needed when stdin is not a terminal)."""
    return click.option(
        "-y",
        "--yes",
        is_flag=True,
        help="Do not ask: answer yes (required when stdin is not a terminal).",
    )(func)


def confirm(question: str, *, yes: bool, refusal: str) -> None:
    """Ask ``question``; return if the answer is yes.

    With ``yes``, return without asking. When stdin is not a terminal nothing is asked: the
    command stops with ``refusal`` (plus a hint about ``--yes``). A "no" aborts (exit 1).
    """
    if yes:
        return
    if not stdin_is_tty():
        raise click.ClickException(f"{refusal}; pass --yes to do it without asking")
    if not click.confirm(question, default=False):
        raise click.ClickException(f"{refusal}: not confirmed")


# -- output ---------------------------------------------------------------------------------
def json_option(func: F) -> F:
    """``--json``: machine-readable output on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def when(ts: float | None) -> str:
    """A timestamp in local time, to the second (empty for ``None``)."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def table(rows: list[list[Any]], headers: list[str]) -> str:
    from tabulate import tabulate  # deferred: only listing commands need it

    return tabulate(rows, headers=headers, tablefmt="simple")


def ensure_ids_or_all(ids: tuple[int, ...], all_: bool, what: str) -> None:
    """Usage error unless exactly one of IDs or ``--all`` is given."""
    if ids and all_:
        raise click.UsageError(f"give {what} IDs or --all, not both")
    if not ids and not all_:
        raise click.UsageError(f"give at least one {what} ID (or --all)")

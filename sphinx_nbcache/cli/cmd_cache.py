"""``nbcache cache ...``: add executed notebooks to the cache and look inside it."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import options

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from sphinx_nbcache.engine import CacheEntry, NotebookCache

NB_PATHS = click.argument(
    "notebooks", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
RECORD_ID = click.argument("record_id", metavar="ID", type=int)
VALIDATE = click.option(
    "--validate/--no-validate",
    default=True,
    show_default=True,
    help="Check that the notebook was executed top to bottom (execution counts 1, 2, 3...).",
)


@click.group("cache", cls=options.NbcacheGroup)
@options.cache_path_option
def cache_group() -> None:
    """Add executed notebooks to the cache and inspect it."""


# -- adding ---------------------------------------------------------------------------------
def _invalidity(nb: NotebookNode, path: Path) -> str | None:
    """Why a notebook does not look executed in one go (``None`` if it does)."""
    from sphinx_nbcache.engine import ValidationError, validate_executed

    try:
        validate_executed(nb, str(path))
    except ValidationError as exc:
        return options.one_line(str(exc))
    return None


def _check_validity(notebooks: list[tuple[Path, NotebookNode]], validate: bool, yes: bool) -> None:
    """Ask about (or refuse) each notebook that does not look executed in one go."""
    if not validate:
        return
    for path, nb in notebooks:
        message = _invalidity(nb, path)
        if message is None:
            continue
        if yes:
            click.echo(f"Warning: {message}; caching it anyway (--yes)", err=True)
            continue
        if not options.stdin_is_tty():
            raise click.ClickException(f"{message}; nothing was cached (--yes caches it anyway)")
        click.echo(f"Validation error: {message}", err=True)
        if not click.confirm("Cache it anyway?", default=False):
            raise click.ClickException(f"{path}: not confirmed; nothing was cached")


@cache_group.command("add")
@options.cache_path_option
@VALIDATE
@options.yes_option
@NB_PATHS
def add(notebooks: tuple[Path, ...], validate: bool, yes: bool) -> None:
    """Cache notebooks that were already executed.

    All NOTEBOOKS are read and validated before any is cached: if one cannot be read, or is
    invalid and not confirmed, nothing is cached. An invalid notebook (execution counts not
    1, 2, 3... in order) is cached only when confirmed at the prompt or with --yes; without a
    terminal, the command refuses unless --yes is given.
    """
    read = [(path, options.read(path)) for path in notebooks]
    _check_validity(read, validate, yes)
    cache = options.open_cache()
    for path, nb in read:
        entry = cache.add_notebook(nb, cache.uri_for(path), validate=False)
        click.echo(f"Cached {path} as record {entry.id}")


@cache_group.command("add-with-artefacts")
@options.cache_path_option
@VALIDATE
@options.yes_option
@click.option(
    "-nb",
    "--notebook",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The executed notebook.",
)
@click.argument("artefacts", nargs=-1, required=True, type=click.Path(path_type=Path))
def add_with_artefacts(
    notebook: Path, artefacts: tuple[Path, ...], validate: bool, yes: bool
) -> None:
    """Cache an executed notebook together with files it wrote (ARTEFACTS).

    Each artefact must be a file inside the notebook's folder (after resolving `..` and
    symbolic links); relative paths are taken from the current folder.
    """
    nb = options.read(notebook)
    # refuse a bad artefact before asking anything
    options.check_inside(artefacts, notebook, "artefact", files_only=True)
    _check_validity([(notebook, nb)], validate, yes)
    cache = options.open_cache()
    entry = cache.add_file(notebook, artefacts=[a.absolute() for a in artefacts], validate=False)
    click.echo(f"Cached {notebook} as record {entry.id} with {len(entry.artefacts)} artefact(s)")


# -- reading --------------------------------------------------------------------------------
@cache_group.command("list")
@options.cache_path_option
@click.option(
    "-l", "--latest-only", is_flag=True, help="Show only the newest record of each notebook."
)
@options.json_option
def list_records(latest_only: bool, as_json: bool) -> None:
    """List the cached notebooks."""
    path = options.cache_path()
    records = options.open_cache().list_records(latest_only) if options.cache_exists(path) else []
    if as_json:
        options.echo_json([r.to_json() for r in records])
        return
    if not records:
        click.echo("No cached notebooks")
        return
    rows = [[r.id, r.uri, options.when(r.created), options.when(r.accessed)] for r in records]
    click.echo(options.table(rows, ["ID", "Origin URI", "Created", "Accessed"]))


def _describe(entry: CacheEntry) -> list[str]:
    lines = [
        f"ID: {entry.id}",
        f"Origin URI: {entry.uri}",
        f"Hash key: {entry.hashkey}",
        f"Created: {options.when(entry.created)}",
        f"Accessed: {options.when(entry.accessed)}",
    ]
    data: dict[str, Any] = dict(entry.data)
    if data:
        lines.append("Execution:")
        if "seconds" in data:
            lines.append(f"  seconds: {data.pop('seconds')}")
        if data.get("started"):
            lines.append(f"  started: {options.when(data.pop('started'))}")
        cells = data.pop("cells", None)
        if cells:
            lines.append(f"  cells timed: {len(cells)}")
        lines += [f"  {k}: {v}" for k, v in data.items() if v not in (None, "", [], {})]
    if entry.artefacts:
        lines.append("Artefacts:")
        lines += [f"  - {rel}" for rel in entry.artefacts]
    return lines


@cache_group.command("show")
@options.cache_path_option
@options.json_option
@RECORD_ID
def show(record_id: int, as_json: bool) -> None:
    """Show a cached notebook's key, execution data and artefacts."""
    entry = options.open_cache(must_exist=True).get(record_id)
    if as_json:
        options.echo_json(entry.to_json())
        return
    click.echo("\n".join(_describe(entry)))


@cache_group.command("cat-artifact")
@options.cache_path_option
@RECORD_ID
@click.argument("artefact", metavar="PATH")
def cat_artifact(record_id: int, artefact: str) -> None:
    """Print the bytes of an artefact of a cached notebook (PATH as `cache show` lists it)."""
    cache = options.open_cache(must_exist=True)
    file = cache.artefact_path(record_id, artefact)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise click.ClickException(
            f"record {record_id}: the stored file of artefact '{artefact}' is missing; "
            f"run `nbcache cache remove {record_id}` and cache the notebook again"
        ) from None
    click.echo(data, nl=False)


def _diff_text(cache: NotebookCache, entry: CacheEntry, notebook: Path, color: bool) -> str:
    try:
        import nbdime
        from nbdime.prettyprint import PrettyPrintConfig, pretty_print_diff
    except ImportError:
        # optional: nbdime pulls in jupyter_server, whose jsonschema formats add ~1 s to
        # every `import nbformat`, i.e. to every build and every command
        raise click.ClickException(
            "`nbcache cache diff-nb` needs nbdime: pip install 'sphinx-nbcache[diff]'"
        ) from None

    cached = cache.load_notebook(entry)
    other = options.read(notebook)
    diff = nbdime.diff_notebooks(cached, other)
    if not diff:
        return ""
    out = io.StringIO()
    # difflib, not git or diff: no subprocess, and the same output everywhere
    config = PrettyPrintConfig(out=out, use_git=False, use_diff=False, use_color=color)
    out.write(f"--- cached record {entry.id} ({entry.uri})\n+++ {notebook}\n")
    pretty_print_diff(cached, diff, "", config)
    return out.getvalue()


@cache_group.command("diff-nb")
@options.cache_path_option
@RECORD_ID
@click.argument("notebook", type=click.Path(dir_okay=False, path_type=Path))
def diff_nb(record_id: int, notebook: Path) -> None:
    """Print the differences between a cached notebook and NOTEBOOK (a file)."""
    cache = options.open_cache(must_exist=True)
    entry = cache.get(record_id)
    text = _diff_text(cache, entry, notebook, color=sys.stdout.isatty())
    if not text:
        click.echo(f"No differences between record {record_id} and {notebook}")
        return
    click.echo(text, nl=not text.endswith("\n"))


@cache_group.command("remove")
@options.cache_path_option
@click.option("--all", "all_", is_flag=True, help="Remove every record.")
@click.argument("record_ids", metavar="[ID]...", nargs=-1, type=int)
def remove(record_ids: tuple[int, ...], all_: bool) -> None:
    """Remove cached notebooks (and their artefacts) by ID.

    Every ID is checked first: if one does not exist, nothing is removed.
    """
    options.ensure_ids_or_all(record_ids, all_, "record")
    path = options.cache_path()
    if all_ and not options.cache_exists(path):
        click.echo("No cached notebooks")
        return
    cache = options.open_cache(must_exist=True)
    ids = [r.id for r in cache.list_records()] if all_ else list(dict.fromkeys(record_ids))
    for record_id in ids:
        cache.get(record_id)  # raises, naming the id, before anything is removed
    for record_id in ids:
        entry = cache.remove(record_id)
        click.echo(f"Removed record {record_id} ({entry.uri})")

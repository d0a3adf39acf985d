"""``nbcache stage ...``: choose the notebooks that ``nbcache execute`` runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import options

if TYPE_CHECKING:
    from sphinx_nbcache.engine import NotebookCache, StagedEntry

READER = click.option(
    "-r",
    "--reader",
    default="auto",
    show_default=True,
    help="How to read the notebooks: auto (from the suffix), ipynb, or a jupytext format "
    "such as md:myst or py:percent.",
)
STAGED_ID = click.argument("staged_id", metavar="ID", type=int)


@click.group("stage", cls=options.NbcacheGroup)
@options.cache_path_option
def stage_group() -> None:
    """Stage notebooks for `nbcache execute`, and inspect them."""


@stage_group.command("add")
@options.cache_path_option
@READER
@click.argument(
    "notebooks", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
def add(notebooks: tuple[Path, ...], reader: str) -> None:
    """Stage notebooks for execution (staging one again keeps its ID).

    All NOTEBOOKS are read first: if one cannot be read, nothing is staged.
    """
    for path in notebooks:
        options.read(path, reader)
    cache = options.open_cache()
    for path in notebooks:
        entry = cache.staging.add(path, reader=reader)
        click.echo(f"Staged {entry.uri} as ID {entry.id}")


@stage_group.command("add-with-assets")
@options.cache_path_option
@READER
@click.option(
    "-nb",
    "--notebook",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The notebook to stage.",
)
@click.argument("assets", nargs=-1, required=True, type=click.Path(path_type=Path))
def add_with_assets(notebook: Path, assets: tuple[Path, ...], reader: str) -> None:
    """Stage a notebook that needs files (ASSETS) to run.

    Such a notebook runs in a temporary folder holding copies of its assets only, laid out as
    in its own folder. Each asset (file or folder) must be inside the notebook's folder.
    """
    options.read(notebook, reader)
    options.check_inside(assets, notebook, "asset", files_only=False)
    cache = options.open_cache()
    entry = cache.staging.add(notebook, reader=reader, assets=[a.absolute() for a in assets])
    click.echo(f"Staged {entry.uri} as ID {entry.id} with {len(entry.assets)} asset(s)")


def cache_match(cache: NotebookCache, entry: StagedEntry) -> tuple[int | None, str]:
    """The ID of the cache record matching a staged notebook's current file, and its state.

    :returns: ``(record id or None, "ok" | "missing" | "unreadable")``; a file that is gone
        or unreadable has no match.
    """
    from sphinx_nbcache.engine import NotebookReadError

    try:
        key = cache.staging.inputs(entry).key()
    except NotebookReadError:
        gone = not cache.path_for(entry.uri).exists()
        return None, "missing" if gone else "unreadable"
    record = cache.lookup(key)
    return (record.id if record else None), "ok"


def _staged_json(cache: NotebookCache, entry: StagedEntry) -> dict[str, Any]:
    record_id, file_state = cache_match(cache, entry)
    return {**entry.to_json(), "cache_id": record_id, "file": file_state}


@stage_group.command("list")
@options.cache_path_option
@options.json_option
def list_staged(as_json: bool) -> None:
    """List the staged notebooks, with the cache record that matches each (if any)."""
    if not options.cache_exists(options.cache_path()):
        click.echo("[]" if as_json else "No staged notebooks")
        return
    cache = options.open_cache()
    entries = cache.staging.entries()
    if as_json:
        options.echo_json([_staged_json(cache, e) for e in entries])
        return
    if not entries:
        click.echo("No staged notebooks")
        return
    rows = []
    for entry in entries:
        record_id, file_state = cache_match(cache, entry)
        matched = record_id if record_id is not None else "-"
        rows.append(
            [
                entry.id,
                entry.uri,
                options.when(entry.created),
                len(entry.assets),
                entry.status if file_state == "ok" else f"{entry.status} ({file_state})",
                matched,
            ]
        )
    click.echo(options.table(rows, ["ID", "URI", "Created", "Assets", "Status", "Cache ID"]))


@stage_group.command("show")
@options.cache_path_option
@options.json_option
@STAGED_ID
def show(staged_id: int, as_json: bool) -> None:
    """Show a staged notebook: its assets, matching cache record and last execution."""
    cache = options.open_cache(must_exist=True)
    entry = cache.staging.get(staged_id)
    if as_json:
        options.echo_json(_staged_json(cache, entry))
        return
    record_id, file_state = cache_match(cache, entry)
    lines = [
        f"ID: {entry.id}",
        f"URI: {entry.uri}",
        f"Reader: {entry.reader}",
        f"Created: {options.when(entry.created)}",
        f"File: {file_state}",
        f"Cache ID: {record_id if record_id is not None else '-'}",
        f"Status: {entry.status}",
    ]
    if entry.executed is not None:
        lines.append(f"Last executed: {options.when(entry.executed)}")
    if entry.assets:
        lines.append("Assets:")
        lines += [f"  - {rel}" for rel in entry.assets]
    if entry.error:
        lines.append(f"Error: {entry.error}")
    if entry.traceback:
        lines += ["Traceback:", entry.traceback.rstrip()]
    click.echo("\n".join(lines))


@stage_group.command("remove-ids")
@options.cache_path_option
@click.option("--all", "all_", is_flag=True, help="Unstage every notebook.")
@click.argument("staged_ids", metavar="[ID]...", nargs=-1, type=int)
def remove_ids(staged_ids: tuple[int, ...], all_: bool) -> None:
    """Unstage notebooks by ID (their cache records stay).

    Every ID is checked first: if one does not exist, nothing is unstaged.
    """
    options.ensure_ids_or_all(staged_ids, all_, "staged")
    if all_ and not options.cache_exists(options.cache_path()):
        click.echo("No staged notebooks")
        return
    cache = options.open_cache(must_exist=True)
    ids = [e.id for e in cache.staging.entries()] if all_ else list(dict.fromkeys(staged_ids))
    for staged_id in ids:
        cache.staging.get(staged_id)
    for staged_id in ids:
        entry = cache.staging.remove(staged_id)
        click.echo(f"Unstaged ID {staged_id} ({entry.uri})")


@stage_group.command("remove-uris")
@options.cache_path_option
@click.argument("uris", metavar="URI...", nargs=-1, required=True)
def remove_uris(uris: tuple[str, ...]) -> None:
    """Unstage notebooks by URI or path (as `stage list` shows them).

    Every URI is checked first: if one is not staged, nothing is unstaged.
    """
    cache = options.open_cache(must_exist=True)
    found: dict[int, StagedEntry] = {}
    for uri in uris:
        entry = cache.staging.get_by_uri(uri) or cache.staging.get_by_uri(cache.uri_for(uri))
        if entry is None:
            raise click.ClickException(
                f"{uri}: not staged; `nbcache stage list` shows the staged URIs"
            )
        found[entry.id] = entry
    for staged_id, entry in found.items():
        cache.staging.remove(staged_id)
        click.echo(f"Unstaged {entry.uri} (ID {staged_id})")

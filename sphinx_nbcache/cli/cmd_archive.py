"""``nbcache export`` and ``nbcache import``: a cache (or part of it) in one portable file."""

from __future__ import annotations

from pathlib import Path

import click

from . import options


@click.command("export")
@options.cache_path_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("patterns", nargs=-1)
def export(file: Path, patterns: tuple[str, ...]) -> None:
    """Write the records of the cache to FILE, one bundle per record.

    With PATTERNs (shell-style, e.g. 'docs/*.ipynb'), only the records whose URI matches one.
    The archive holds each record's executed notebook, artefacts, key inputs and dependency
    hashes, with the SHA-256 of every part; `nbcache import` checks them all.
    """
    from sphinx_nbcache.engine import export_archive

    count = export_archive(options.open_cache(must_exist=True), file, patterns)
    click.echo(f"Exported {count} record{'s' if count != 1 else ''} to {file}")


@click.command("import")
@options.cache_path_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    """Merge the records of an archive FILE (from `nbcache export`) into the cache.

    Every bundle is checked (hashes, keys, artefact paths, sizes) before any is stored; a
    record of the cache at least as new as the archive's for the same key is kept.
    """
    from sphinx_nbcache.engine import import_archive

    results = import_archive(options.open_cache(), file)
    added = sum(1 for _, imported in results if imported)
    kept = len(results) - added
    click.echo(f"Imported {added} record{'s' if added != 1 else ''} from {file}; kept {kept} newer")

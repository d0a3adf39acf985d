"""Project-wide commands: ``nbcache status`` and ``nbcache invalidate``.

They read the Sphinx project's ``conf.py`` and judge every notebook exactly as the build
will (the same :class:`~sphinx_nbcache.sphinxext.plan.Planner`), so the reason printed here
is the reason the build gives.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import click

from sphinx_nbcache.engine import Status, record_origin, record_where

from . import options
from .project import load_project

#: plan status -> what ``status`` calls it
_LABELS = {
    Status.CACHED: "up-to-date",
    Status.EXECUTE: "stale",
    Status.FAILED: "failed",
    Status.OFF: "off",
    Status.EXCLUDED: "excluded",
}

sourcedir_argument = click.argument(
    "sourcedir",
    required=False,
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
confdir_option = click.option(
    "-c",
    "--confdir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of conf.py, when it is not SOURCEDIR (as sphinx-build -c).",
)


def _row(plan: Any) -> dict[str, Any]:
    """A notebook's row, rendered from its outcome as planned (the build's, before it runs).

    ``where``: where the record serving it came from (``local``, or the remote cache's URL
    without credentials, or an archive), empty when no record serves it.
    """
    outcome = plan.outcome().outcome
    where = record_where(plan.entry) if plan.entry is not None else ""
    return {
        "docname": outcome.name,
        "source": outcome.source,
        "status": _LABELS.get(outcome.status, outcome.status.value),
        "reason": outcome.reason,
        "record_id": outcome.record_id,
        "executed": options.when(plan.entry.created) if plan.entry is not None else None,
        "seconds": outcome.seconds,
        "error": outcome.error,
        "where": where,
        "from": _from(plan, where),
    }


def _from(plan: Any, where: str) -> str:
    """How the text table says where a record came from (nothing for this machine's runs)."""
    if plan.entry is None or not where or where == "local":
        return ""
    if record_origin(plan.entry) is None:
        return f", ran on {where}"
    return f", from remote cache {where}" if "://" in where else f", imported from {where}"


@click.command("status")
@sourcedir_argument
@confdir_option
@options.json_option
@click.option("--check", is_flag=True, help="Exit with 1 when any notebook would execute (for CI).")
def status(sourcedir: Path, confdir: Path | None, as_json: bool, check: bool) -> None:
    """List every notebook of the Sphinx project in SOURCEDIR and whether the next build
    executes it, with the reason: up-to-date (cache id, when, seconds), stale (new; code
    cell 3 changed; `helpers.py` changed; `numpy` 2.3.1 -> 2.4.6; ...), failed last time
    (error), excluded or off."""
    with options.translated_errors(), load_project(sourcedir, confdir) as project:
        rows = []
        for docname, path in project.notebook_docs():
            plan = project.planner.plan(docname, path)
            if plan is not None:
                rows.append(_row(plan))
    if as_json:
        options.echo_json([{k: v for k, v in row.items() if k != "from"} for row in rows])
    elif not rows:
        click.echo("No notebooks in this project.")
    else:
        table = []
        for row in rows:
            if row["status"] == "up-to-date":
                detail = (
                    f"#{row['record_id']}, {row['executed']}, {row['seconds'] or 0:.1f} s"
                    + row.pop("from")
                )
            elif row["status"] == "failed":
                detail = f"{row['error']} ({row['reason']})"
            else:
                detail = row["reason"]
            table.append([row["status"], row["source"], detail])
        click.echo(options.table(table, ["status", "notebook", "details"]))
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        click.echo(", ".join(f"{n} {label}" for label, n in sorted(counts.items())))
    if check and any(row["status"] == "stale" for row in rows):
        raise SystemExit(1)


@click.command("invalidate")
@click.argument("patterns", nargs=-1, required=True)
@click.option(
    "-C",
    "--project",
    "sourcedir",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The Sphinx source folder (with conf.py); default the current folder.",
)
@confdir_option
def invalidate(patterns: tuple[str, ...], sourcedir: Path, confdir: Path | None) -> None:
    """Make the next build execute the notebooks matching PATTERNS (paths or globs, relative
    to the source folder or the current folder), by removing their cache records and
    remembered failures."""
    with options.translated_errors(), load_project(sourcedir, confdir) as project:
        cache = project.cache
        wanted = set()
        for pattern in patterns:
            wanted.add(pattern)
            candidate = Path(pattern)
            if candidate.exists():
                wanted.add(cache.uri_for(candidate))
        records = [
            r for r in cache.list_records() if any(fnmatch.fnmatch(r.uri, w) for w in wanted)
        ]
        failures = [
            f for f in cache.list_failures() if any(fnmatch.fnmatch(f.uri, w) for w in wanted)
        ]
        if not records and not failures:
            raise click.ClickException(
                f"no cached notebook matches {' '.join(patterns)}; "
                "`nbcache status` lists the notebooks"
            )
        for record in records:
            cache.remove(record.id)
        for failure in failures:
            cache.remove_failure(failure.hashkey)
        for uri in sorted({r.uri for r in records} | {f.uri for f in failures}):
            click.echo(f"invalidated {uri}")

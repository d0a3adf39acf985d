"""``nbcache execute``: run the staged notebooks that have no cache record, concurrently."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from sphinx_nbcache.engine.options import DEFAULT_TIMEOUT

from . import options

if TYPE_CHECKING:
    from sphinx_nbcache.engine import KeyInputs, NotebookCache, StagedEntry
    from sphinx_nbcache.engine.executor import ExecutionResult
    from sphinx_nbcache.engine.scheduler import Job


@dataclass
class _Staged:
    """What ``on_result`` needs to store a result."""

    entry: StagedEntry
    inputs: KeyInputs


@dataclass
class _Tally:
    executed: int = 0
    failed: int = 0
    up_to_date: int = 0


def _fail(cache: NotebookCache, entry: StagedEntry, error: str, traceback: str = "") -> None:
    cache.set_staged_status(entry.id, "failed", error=error, traceback=traceback)


def _plan(
    cache: NotebookCache, force: bool, timeout: float | None, allow_errors: bool, tally: _Tally
) -> list[Job]:
    """One job per staged notebook to run; unreadable ones fail here, matched ones are skipped."""
    from sphinx_nbcache.engine import NbCacheError, key_inputs, read_notebook
    from sphinx_nbcache.engine.options import ExecutionOptions
    from sphinx_nbcache.engine.scheduler import Job

    jobs: list[Job] = []
    for entry in cache.list_staged():
        path = cache.path_for(entry.uri)
        try:
            nb = read_notebook(path, entry.reader)
        except NbCacheError as exc:
            message = options.one_line(str(exc))
            _fail(cache, entry, message)
            tally.failed += 1
            click.echo(f"{entry.uri}: failed: {message}")
            continue
        inputs = key_inputs(nb)  # the notebook as read, before execution writes into it
        if not force and cache.lookup(inputs.key()) is not None:
            tally.up_to_date += 1
            continue
        jobs.append(
            Job(
                nb=nb,
                cwd=path.parent,
                name=entry.uri,
                options=ExecutionOptions(timeout=timeout, allow_errors=allow_errors),
                assets=list(entry.assets) if entry.assets else None,
                exclude=[cache.path],
                source_path=path,
                payload=_Staged(entry, inputs),
            )
        )
    return jobs


@click.command("execute")
@options.cache_path_option
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="How many notebooks run at once.  [default: the number of CPUs]",
)
@click.option(
    "-t",
    "--timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds a cell may run before the notebook fails (0: no limit), as conf.py's "
    "nbcache_timeout.",
)
@click.option(
    "--allow-errors",
    is_flag=True,
    help="Keep going after a cell raises; the error becomes an output and the notebook is cached.",
)
@click.option(
    "-f", "--force", is_flag=True, help="Execute every staged notebook, even those cached."
)
def execute(jobs: int | None, timeout: float | None, allow_errors: bool, force: bool) -> None:
    """Execute the staged notebooks that have no cache record, and cache the results.

    Each notebook runs in its own kernel, in its own folder (or in a temporary folder holding
    its assets, when staged with assets); up to --jobs run at once. Each success is cached
    with its execution data and the files it wrote (artefacts). A failure stops only its own
    notebook: it is not cached, and `nbcache stage show ID` shows its error and traceback.
    Exits with status 1 if any notebook failed.
    """
    from sphinx_nbcache.engine import NbCacheError
    from sphinx_nbcache.engine.scheduler import execute_many

    cache = options.open_cache()
    tally = _Tally()
    planned = _plan(cache, force, timeout, allow_errors, tally)
    if not planned:
        if tally.failed:
            raise click.ClickException(f"{tally.failed} staged notebook(s) could not be read")
        if tally.up_to_date:
            click.echo(f"Nothing to execute: {tally.up_to_date} notebook(s) up to date")
        else:
            click.echo("No staged notebooks; `nbcache stage add` stages some")
        return

    click.echo(f"Executing {len(planned)} notebook(s)")

    def on_result(job: Job, result: ExecutionResult, done: int, total: int) -> None:
        staged: _Staged = job.payload
        prefix = f"[{done}/{total}] {job.name}:"
        # runs inside the scheduler: an exception here would stop every other notebook
        try:
            if result.ok:
                cache.add_notebook(
                    result.nb,
                    staged.entry.uri,
                    inputs=staged.inputs,
                    artefacts=result.artefacts,
                    data=result.data(),
                    validate=False,
                )
                cache.set_staged_status(staged.entry.id, "executed")
                tally.executed += 1
                click.echo(f"{prefix} executed in {result.seconds:.1f} s")
                return
            assert result.error is not None
            message = options.one_line(str(result.error))
            _fail(cache, staged.entry, message, result.error.traceback)
        except (NbCacheError, OSError) as exc:
            message = f"could not store the result: {options.error_message(exc)}"
            with contextlib.suppress(NbCacheError, OSError):  # report it all the same
                _fail(cache, staged.entry, message)
        tally.failed += 1
        click.echo(f"{prefix} failed: {message}")

    start = time.perf_counter()
    execute_many(planned, max_jobs=jobs, on_result=on_result)
    seconds = time.perf_counter() - start
    summary = f"{tally.executed} executed, {tally.failed} failed"
    if tally.up_to_date:
        summary += f", {tally.up_to_date} up to date"
    click.echo(f"Finished in {seconds:.1f} s: {summary}")
    if tally.failed:
        raise click.ClickException(
            f"{tally.failed} notebook(s) failed; `nbcache stage list` shows which and "
            "`nbcache stage show ID` why"
        )

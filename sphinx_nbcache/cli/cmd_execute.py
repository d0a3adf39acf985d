"""``nbcache execute``: run the staged notebooks that have no cache record, concurrently."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from sphinx_nbcache.engine import DEFAULT_TIMEOUT

from . import options

if TYPE_CHECKING:
    from sphinx_nbcache.engine import (
        ExecutionOptions,
        Finished,
        NotebookCache,
        RunItem,
        StagedEntry,
    )


@dataclass
class _Tally:
    executed: int = 0
    failed: int = 0
    up_to_date: int = 0


def _fail(cache: NotebookCache, entry: StagedEntry, error: str, traceback: str = "") -> None:
    cache.set_staged_status(entry.id, "failed", error=error, traceback=traceback)


def _plan(
    cache: NotebookCache, force: bool, run_options: ExecutionOptions, tally: _Tally
) -> list[RunItem]:
    """One item per staged notebook to run; unreadable ones fail here, cached ones are skipped.

    Keyed as a build keys a notebook with default settings, so a build finds what this runs.
    """
    from sphinx_nbcache.engine import NbCacheError, RunItem, key_inputs, read_notebook

    items: list[RunItem] = []
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
        items.append(
            RunItem(
                name=entry.uri,
                path=path,
                nb=nb,
                options=run_options,
                inputs=inputs,
                force=force,
                assets=list(entry.assets) if entry.assets else None,
                payload=entry,
            )
        )
    return items


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
@click.option(
    "--kernel-start",
    type=click.Choice(["fork", "spawn"]),
    default="fork",
    show_default=True,
    help="fork: Python kernels fork from a warm process, where that applies; spawn: every "
    "kernel starts as a new process (conf.py's nbcache_kernel_start).",
)
@click.option(
    "--preload",
    multiple=True,
    metavar="MODULE",
    help="A module the warm process of forked kernels imports too (repeat for more; "
    "conf.py's nbcache_preload).",
)
@click.option(
    "--executor",
    default="local",
    show_default=True,
    help='Where the notebooks run: "local", "dask" (a local Dask cluster of --jobs workers) '
    "or a Dask scheduler's address (conf.py's nbcache_executor).",
)
@click.option(
    "--shared-filesystem",
    is_flag=True,
    help="Dask workers see this folder at the same path: run in place, ship nothing.",
)
def execute(
    jobs: int | None,
    timeout: float | None,
    allow_errors: bool,
    force: bool,
    kernel_start: str,
    preload: tuple[str, ...],
    executor: str,
    shared_filesystem: bool,
) -> None:
    """Execute the staged notebooks that have no cache record, and cache the results.

    Each notebook runs in its own kernel, in its own folder (or in a temporary folder holding
    its assets, when staged with assets); up to --jobs run at once. Each success is cached
    with its execution data and the files it wrote (artefacts). A failure stops only its own
    notebook: it is not cached, and `nbcache stage show ID` shows its error and traceback.
    Exits with status 1 if any notebook failed.
    """
    from sphinx_nbcache.engine import ExecutionOptions, FileHasher, Runner, backend_for

    cache = options.open_cache()
    tally = _Tally()
    since = time.time()
    try:
        run_options = ExecutionOptions(
            timeout=timeout, allow_errors=allow_errors, kernel_start=kernel_start, preload=preload
        )
    except ValueError as exc:  # a preload that is no module name
        raise click.BadParameter(str(exc), param_hint="--preload") from None
    planned = _plan(cache, force, run_options, tally)
    if not planned:
        _nothing_to_execute(tally)
        return

    click.echo(f"Executing {len(planned)} notebook(s)")
    # the build's pipeline: per-notebook locks shared with builds, dependency records,
    # failures remembered for the build
    backend = backend_for(executor, jobs=jobs, shared_filesystem=shared_filesystem)
    runner = Runner(
        cache,
        backend,
        root=cache.root,
        exclude=[cache.path],
        hasher=FileHasher(cache),
    )

    def on_finished(done: Finished, count: int, total: int) -> None:
        _report(cache, done, f"[{count}/{total}] {done.item.name}:", tally)

    def on_wait(count: int) -> None:
        click.echo(f"Another process is executing {count} of these notebooks; waiting for it")

    start = time.perf_counter()
    runner.run(planned, on_finished, since=since, on_wait=on_wait)
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


def _nothing_to_execute(tally: _Tally) -> None:
    if tally.failed:
        raise click.ClickException(f"{tally.failed} staged notebook(s) could not be read")
    if tally.up_to_date:
        click.echo(f"Nothing to execute: {tally.up_to_date} notebook(s) up to date")
    else:
        click.echo("No staged notebooks; `nbcache stage add` stages some")


def _report(cache: NotebookCache, done: Finished, prefix: str, tally: _Tally) -> None:
    """Say what became of one staged notebook, and keep its staging row in step."""
    from sphinx_nbcache.engine import NbCacheError, Status

    entry: StagedEntry = done.item.payload
    outcome = done.outcome
    try:
        if outcome.status is not Status.FAILED and outcome.stored:
            cache.set_staged_status(entry.id, "executed")
            if done.result is None:
                tally.up_to_date += 1
                click.echo(f"{prefix} cached ({outcome.reason})")
            else:
                tally.executed += 1
                click.echo(f"{prefix} executed in {outcome.seconds or 0:.1f} s")
            return
        if outcome.store_error:
            message = f"could not store the result: {outcome.store_error}"
        else:
            message = options.one_line(outcome.error)
            if done.result is None:
                message += f" ({outcome.reason})"
        _fail(cache, entry, message, outcome.traceback)
    except (NbCacheError, OSError) as exc:
        message = f"could not store the result: {options.error_message(exc)}"
        with contextlib.suppress(NbCacheError, OSError):  # report it all the same
            _fail(cache, entry, message)
    tally.failed += 1
    click.echo(f"{prefix} failed: {message}")

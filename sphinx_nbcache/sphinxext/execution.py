"""Execute the stale notebooks of a build, before reading starts, in the main process.

``env-get-outdated`` adds notebooks whose record disappeared or whose inputs changed content;
``env-before-read-docs`` plans every notebook about to be read, executes the misses
concurrently (one kernel each), stores the results and closes the store before any ``-j``
reader forks.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import SphinxError
from sphinx.util import logging
from sphinx.util.console import bold

from sphinx_nbcache.engine import (
    ArtefactError,
    ClusterError,
    ExecutionOptions,
    NbCacheError,
    Status,
    atomic_write_bytes,
    cell_source_lines,
    is_generated,
    relative_inside,
    safe_join,
    sweep_kernel_folders,
    warm_up,
)

from .doc_outcome import DocOutcome
from .outputs import forget_unstored, keep_unstored
from .plan import CACHED, EXECUTE, FAILED, OFF, Plan, Planner
from .remote_cache import fetch_misses, remote_for, start_uploads
from .settings import execution_options
from .snapshot import nbcache_config
from .sources import notebook_format
from .state import close_stores, env_state, store_for

if TYPE_CHECKING:  # what only executing uses is imported when a build executes
    from sphinx_nbcache.engine import BackgroundUploads, Finished, NotebookCache, RunItem, Runner

logger = logging.getLogger(__name__)


class NotebookExecutionFailed(SphinxError):
    """Raised with ``nbcache_raise_on_error`` after every notebook ran."""

    category = "nbcache: notebook execution failed"


class ExecutorUnusable(SphinxError):
    """``nbcache_executor`` cannot be used (unknown value, no Dask, scheduler unreachable)."""

    category = "nbcache: executor error"


class CacheUnusable(SphinxError):
    """The cache cannot be used (damaged, foreign, newer, unwritable): say what to do."""

    category = "nbcache: cache error"


@contextmanager
def _using_store(env: BuildEnvironment) -> Iterator[None]:
    """Close this process's connection on the way out; turn store errors into one line."""
    try:
        yield
    except ClusterError as exc:  # the executor's failure, not the cache's
        raise ExecutorUnusable(str(exc)) from None
    except NbCacheError as exc:
        folder = env_state(env).cache_path
        raise CacheUnusable(f"{exc}\n(this project's cache: nbcache -p {folder} ...)") from None
    finally:
        close_stores()  # never let a forked reader inherit the connection


def _planner(app: Sphinx, env: BuildEnvironment) -> Planner:
    return Planner(app.config, env.srcdir, app.confdir, store_for(env))


def warm_up_kernels(app: Sphinx) -> None:
    """``builder-inited``: on a build from scratch, which will likely execute, start the warm
    process forked kernels come from now, so that its imports overlap Sphinx's start-up.

    Not on an incremental build (a no-op must not pay for it): there ``env-get-outdated``
    starts it once Sphinx reports a changed notebook. Never raises, never waits.
    """
    if not app.env.all_docs:
        _start_template(app)


def _start_template(app: Sphinx) -> None:
    """Start the warm template now (never waits), where kernels will be forked."""
    conf = nbcache_config(app)
    if conf.execution_mode == "off" or conf.kernel_start != "fork" or conf.executor != "local":
        return  # kernels start elsewhere (Dask workers warm their own), or not forked
    options = ExecutionOptions(env=conf.env, kernel_start=conf.kernel_start, preload=conf.preload)
    warm_up(conf.kernel, options)


def end_kernels(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: the warm templates end with the build's execution."""
    from sphinx_nbcache.engine import shutdown_templates

    shutdown_templates()


def get_outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """``env-get-outdated``: notebooks Sphinx thinks unchanged but that must be read again.

    Their record vanished, a recorded or declared dependency changed content, or a package
    they imported changed version. Cheap: no notebook is read, stat-cached hashes only.
    """
    if any(notebook_format(app.config, env.doc2path(d)) for d in (added | changed)):
        # a new or edited notebook will likely execute: the template's start (importing
        # IPython and ipykernel) overlaps Sphinx's reading and our planning
        _start_template(app)
    state = env_state(env)
    data = state.data
    unchanged = [d for d in data if d in env.found_docs and d not in added and d not in changed]
    if not unchanged:
        return []
    outdated = set()
    with _using_store(env):
        planner = _planner(app, env)
        with planner.store.db.snapshot():  # one read transaction for the whole check
            for docname in unchanged:
                reason = planner.needs_reading(data[docname], Path(env.doc2path(docname)))
                if reason is not None:
                    outdated.add(docname)
    if outdated and state.table_docs:
        outdated |= state.table_docs & env.found_docs
    return sorted(outdated)


def before_read_docs(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: execute what is stale among the documents to read."""
    store = store_for(env)
    outcomes: dict[str, DocOutcome] = {}
    env_state(env).outcomes = outcomes
    forget_unstored()
    # what builds killed earlier left in the temporary folder goes, even if none runs here
    sweep_kernel_folders()
    since = time.time()
    with _using_store(env):
        planner = _planner(app, env)
        with store.db.snapshot() if docnames else nullcontext():
            plans = _plan_all(planner, env, docnames)
        _log_shown_as_stored(plans)
        for plan in plans:
            for problem in plan.problems:
                logger.warning(
                    "%s", problem, type="nbcache", subtype="config", location=plan.docname
                )
        remote = remote_for(app)
        if remote is not None and not fetch_misses(remote, store, planner, plans):
            remote = None  # it failed, and said so once
        cached = [p for p in plans if p.status == CACHED and p.entry is not None]
        store.touch(p.entry.id for p in cached if p.entry is not None)
        for plan in cached:
            _restore_artefacts(store, plan)
        for plan in plans:
            if plan.status != EXECUTE:
                _settle(plan, outcomes)
        todo = [p for p in plans if p.status == EXECUTE]
        if todo:
            # what this build executes and stores goes to the remote as it is stored
            uploads = start_uploads(app, remote, store)
            _execute(app, env, planner, todo, outcomes, since, uploads)
    failures = [o.outcome for o in outcomes.values() if o.status is FAILED]
    if failures and nbcache_config(app).raise_on_error:
        lines = [f"  {o.source}: {o.error}" for o in failures]
        raise NotebookExecutionFailed(
            f"{len(failures)} notebook{'s' if len(failures) > 1 else ''} failed "
            "(nbcache_raise_on_error = True):\n" + "\n".join(lines)
        )


def _log_shown_as_stored(plans: list[Plan], named: int = 5) -> None:
    """One line naming the notebooks that ``auto`` mode shows as stored (they never execute)."""
    stored = [
        p.relpath
        for p in plans
        if p.status == OFF and p.settings is not None and p.settings.execution_mode == "auto"
    ]
    if not stored:
        return
    names = ", ".join(stored[:named]) + (
        f" and {len(stored) - named} more" if len(stored) > named else ""
    )
    logger.info(
        bold(
            "nbcache: %d notebook%s shown with the outputs stored in %s (execution mode auto): %s"
        ),
        len(stored),
        "s" if len(stored) > 1 else "",
        "their files" if len(stored) > 1 else "its file",
        names,
    )


def _settle(plan: Plan, outcomes: dict[str, DocOutcome]) -> None:
    """Record the outcome of a notebook this build does not execute."""
    outcomes[plan.docname] = plan.outcome()
    # failed before with the same inputs (an unreadable file is the parser's warning)
    if plan.status == FAILED and plan.failure is not None:
        _warn_failure(plan, outcomes[plan.docname], remembered=True)


def _plan_all(planner: Planner, env: BuildEnvironment, docnames: Iterable[str]) -> list[Plan]:
    plans = []
    for docname in docnames:
        plan = planner.plan(docname, env.doc2path(docname))
        if plan is not None:
            plans.append(plan)
    return plans


def _restore_artefacts(store: NotebookCache, plan: Plan) -> None:
    """Put a cached notebook's artefacts in its folder, as executing it would have.

    Never outside it: a stored path reached through a symbolic link to elsewhere (a folder
    of a fresh clone that is a link, say) is refused with a warning. So is a stored path that
    is not a relative path inside the folder (a damaged record): one warning located at the
    notebook, its other artefacts and the other notebooks unaffected.
    """
    assert plan.entry is not None
    entry, folder = plan.entry, plan.path.parent
    damaged = f"the record is damaged: run `nbcache cache remove {entry.id}` and build again"
    for rel in entry.artefacts:
        problem = _artefact_problem(folder, rel, damaged)
        if problem is None:
            try:
                data = safe_join(store.artefact_dir(entry), rel).read_bytes()
            except OSError:
                problem = f"it is not in the record's files; {damaged}"
        if problem is None:
            target = safe_join(folder, rel)
            unchanged = target.is_file() and target.stat().st_size == len(data)
            try:
                if not (unchanged and target.read_bytes() == data):
                    atomic_write_bytes(target, data)
            except OSError as exc:
                problem = f"{target} cannot be written: {exc.strerror or exc}"
        if problem is not None:
            logger.warning(
                "artefact %r is not restored: %s",
                rel,
                problem,
                type="nbcache",
                subtype="artefact",
                location=plan.docname,
            )


def _artefact_problem(folder: Path, rel: object, damaged: str) -> str | None:
    """Why a record's artefact path cannot be restored into ``folder``, or ``None``."""
    try:
        if not isinstance(rel, str) or "\x00" in rel:
            raise ArtefactError(rel)
        safe_join(folder, rel)
    except ArtefactError:
        return f"it is not a relative path inside the notebook's folder; {damaged}"
    try:
        relative_inside(folder / rel, folder)  # resolves links before checking
    except ArtefactError:
        return (
            f"{folder / rel} resolves to {(folder / rel).resolve()}, outside the notebook's "
            "folder (a symbolic link?); remove the link or make it a folder"
        )
    return None


def _execute(
    app: Sphinx,
    env: BuildEnvironment,
    planner: Planner,
    todo: list[Plan],
    outcomes: dict[str, DocOutcome],
    since: float,
    uploads: BackgroundUploads | None = None,
) -> None:
    """Execute ``todo`` through the engine's runner, recording each notebook's outcome
    (and handing each stored result to ``uploads``)."""
    from sphinx_nbcache.engine import default_jobs

    conf = nbcache_config(app)
    store = store_for(env)
    state = env_state(env)
    items = [_item(planner, plan) for plan in todo]
    logger.info(
        bold("nbcache: executing %d notebook%s (%d at a time)"),
        len(items),
        "s" if len(items) > 1 else "",
        min(conf.jobs or default_jobs(), len(items)),
    )
    started = time.perf_counter()
    unstored: list[Plan] = []

    def finished(done: Finished, count: int, total: int) -> None:
        plan: Plan = done.item.payload
        if done.result is None:  # another build stored it meanwhile
            _taken(store, plan, done, outcomes)
            return
        verdict = _record_run(env, plan, done, outcomes, unstored)
        if uploads is not None and plan.entry is not None:
            uploads.add(plan.entry)
        if conf.show_progress:
            logger.info(
                "nbcache: [%d/%d] %s %s (%s; %.1f s elapsed)",
                count,
                total,
                plan.relpath,
                verdict,
                plan.reason,
                time.perf_counter() - started,
            )

    def wait(count: int) -> None:
        logger.info(
            bold("nbcache: another build is executing %d of these notebooks; waiting"), count
        )

    _runner(app, env, planner).run(items, finished, since=since, on_wait=wait)
    state.seconds += time.perf_counter() - started
    if unstored and store.read_only:
        _warn_read_only(state.cache_path, len(unstored))


def _runner(app: Sphinx, env: BuildEnvironment, planner: Planner) -> Runner:
    """The engine's runner for this build: its store, backend, project and exclusions."""
    from sphinx_nbcache.engine import Runner, backend_for

    conf = nbcache_config(app)
    # a ClusterError (an executor that cannot be used) is told by _using_store, around this
    backend = backend_for(
        conf.executor,
        jobs=conf.jobs,
        shared_filesystem=conf.shared_filesystem,
        ship_limit=conf.ship_limit,
    )
    return Runner(
        store_for(env),
        backend,
        root=planner.root,
        exclude=[Path(env_state(env).cache_path), Path(app.outdir), Path(app.doctreedir)],
        # documents are artefacts only when the notebook itself opened them for writing: one
        # saved in an editor while the notebook ran is not the notebook's
        source_suffixes=(*app.config.source_suffix, ".py"),
        hasher=planner.hasher,
    )


def _warn_read_only(cache_path: str, count: int) -> None:
    logger.warning(
        "the cache at %s is read-only: %d notebook%s executed but not stored (their "
        "pages show this run's outputs; the next build executes them again); make the "
        "cache writable, or set nbcache_path to a writable folder, to keep them",
        cache_path,
        count,
        "s" if count > 1 else "",
        type="nbcache",
        subtype="cache",
    )


def _record_run(
    env: BuildEnvironment,
    plan: Plan,
    done: Finished,
    outcomes: dict[str, DocOutcome],
    unstored: list[Plan],
) -> str:
    """Record this build's run of ``plan``: its outcome, warnings and counts; the verdict."""
    assert done.result is not None
    state, store = env_state(env), store_for(env)
    outcome = done.outcome
    plan.entry = done.entry  # the record stored for this run, if any
    if plan.entry is not None and outcome.where != "local":
        # it ran elsewhere (a Dask worker's copy of the folder): its files come from the record
        _restore_artefacts(store, plan)
    outcomes[plan.docname] = doc = plan.outcome_of(outcome)
    for warning in done.result.warnings:
        logger.warning("%s", warning, type="nbcache", subtype="artefact", location=plan.docname)
    if outcome.store_error:
        keep_unstored(outcome.key, done.result.nb)
        unstored.append(plan)
        if not store.read_only:  # a read-only cache is one warning, after the runs
            _warn_unstored(plan, outcome.store_error)
    if outcome.status is Status.EXECUTED:
        state.executed += 1
        return f"executed in {outcome.seconds or 0:.1f} s"
    state.failed += 1
    _warn_failure(plan, doc, remembered=False)
    return "failed"


def _item(planner: Planner, plan: Plan) -> RunItem:
    from sphinx_nbcache.engine import RunItem

    assert plan.nb is not None and plan.settings is not None
    return RunItem(
        name=plan.docname,
        path=plan.path,
        nb=plan.nb,
        options=execution_options(
            planner.conf, plan.settings, plan.nb.metadata["kernelspec"]["name"]
        ),
        inputs=plan.inputs,
        # force mode asks for this build's own execution
        force=plan.forced,
        source=plan.relpath,
        reason=plan.reason,
        payload=plan,
    )


def _taken(
    store: NotebookCache, plan: Plan, done: Finished, outcomes: dict[str, DocOutcome]
) -> None:
    """A notebook another build executed (or failed) while this one planned: use its result."""
    if done.entry is not None:
        plan.entry, plan.status = done.entry, CACHED
        plan.reason = "executed by another build meanwhile"
        store.touch([done.entry.id])
        _restore_artefacts(store, plan)
    else:
        plan.failure, plan.status = done.failure, FAILED
        plan.reason = "failed in another build meanwhile"
    _settle(plan, outcomes)


def _warn_unstored(plan: Plan, why: str) -> None:
    logger.warning(
        "executed, but could not store the result (%s); its page shows this run's outputs "
        "and the next build executes it again",
        why,
        type="nbcache",
        subtype="cache",
        location=plan.docname,
    )


def _failure_line(plan: Plan, cell: int) -> int:
    """Where the failed cell is: its line in a MyST notebook's file, else its number."""
    cells = plan.nb.cells if plan.nb is not None else []
    # inline mode's generated cells are not in the file
    source_index = cell - sum(1 for c in cells[:cell] if is_generated(c))
    try:
        lines = cell_source_lines(plan.path.read_text(encoding="utf-8"), plan.fmt)
    except (OSError, UnicodeDecodeError):
        lines = None
    if lines is not None and 0 <= source_index < len(lines):
        return lines[source_index]
    return source_index + 1


def _warn_failure(plan: Plan, doc: DocOutcome, remembered: bool) -> None:
    docname, outcome = plan.docname, doc.outcome
    tail = [line for line in outcome.traceback.splitlines() if line.strip()][-5:]
    cell = outcome.cell_index
    detail = ("\n" + "\n".join(tail)) if tail else ""
    again = " (remembered: its inputs did not change since it failed)" if remembered else ""
    logger.warning(
        "notebook execution failed%s: %s%s",
        again,
        outcome.error or "unknown error",
        detail,
        type="nbcache",
        subtype="exec",
        location=(docname, _failure_line(plan, cell)) if isinstance(cell, int) else docname,
    )

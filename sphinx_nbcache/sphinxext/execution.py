"""Execute the stale notebooks of a build, before reading starts, in the main process.

``env-get-outdated`` adds notebooks whose record disappeared or whose inputs changed content;
``env-before-read-docs`` plans every notebook about to be read, executes the misses
concurrently (one kernel each), stores the results and closes the store before any ``-j``
reader forks.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import SphinxError
from sphinx.util import logging
from sphinx.util.console import bold

from sphinx_nbcache.engine import CacheEntry, FailureEntry, NotebookCache
from sphinx_nbcache.engine.claims import execute_once
from sphinx_nbcache.engine.deps import recorded_dependencies
from sphinx_nbcache.engine.errors import ArtefactError, NbCacheError
from sphinx_nbcache.engine.executor import ExecutionResult
from sphinx_nbcache.engine.files import atomic_write_bytes, relative_inside, safe_join
from sphinx_nbcache.engine.inline import is_generated
from sphinx_nbcache.engine.outcome import Status
from sphinx_nbcache.engine.reader import cell_source_lines
from sphinx_nbcache.engine.scheduler import Job, default_jobs, execute_many

from .plan import CACHED, EXECUTE, FAILED, OFF, Plan, Planner
from .state import close_stores, env_state, store_for

logger = logging.getLogger(__name__)

EXECUTED = Status.EXECUTED


class NotebookExecutionFailed(SphinxError):
    """Raised with ``nbcache_raise_on_error`` after every notebook ran."""

    category = "nbcache: notebook execution failed"


class CacheUnusable(SphinxError):
    """The cache cannot be used (damaged, foreign, newer, unwritable): say what to do."""

    category = "nbcache: cache error"


@contextmanager
def _using_store(env: BuildEnvironment) -> Iterator[None]:
    """Close this process's connection on the way out; turn store errors into one line."""
    try:
        yield
    except NbCacheError as exc:
        folder = env_state(env).cache_path
        raise CacheUnusable(f"{exc}\n(this project's cache: nbcache -p {folder} ...)") from None
    finally:
        close_stores()  # never let a forked reader inherit the connection


def _planner(app: Sphinx, env: BuildEnvironment) -> Planner:
    return Planner(app.config, env.srcdir, app.confdir, store_for(env))


def get_outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """``env-get-outdated``: notebooks Sphinx thinks unchanged but that must be read again.

    Their record vanished, a recorded or declared dependency changed content, or a package
    they imported changed version. Cheap: no notebook is read, stat-cached hashes only.
    """
    state = env_state(env)
    data = state.data
    unchanged = [d for d in data if d in env.found_docs and d not in added and d not in changed]
    if not unchanged:
        return []
    outdated = set()
    with _using_store(env):
        planner = _planner(app, env)
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
    outcomes: dict[str, dict[str, Any]] = {}
    env_state(env).outcomes = outcomes
    since = time.time()
    with _using_store(env):
        planner = _planner(app, env)
        plans = _plan_all(planner, env, docnames)
        _log_shown_as_stored(plans)
        for plan in plans:
            for problem in plan.problems:
                logger.warning(
                    "%s", problem, type="nbcache", subtype="config", location=plan.docname
                )
        cached = [p for p in plans if p.status == CACHED and p.entry is not None]
        store.touch(p.entry.id for p in cached if p.entry is not None)
        for plan in cached:
            _restore_artefacts(store, plan)
        for plan in plans:
            if plan.status != EXECUTE:
                _settle(plan, outcomes)
        todo = [p for p in plans if p.status == EXECUTE]
        if todo:

            def done_elsewhere(plan: Plan, found: CacheEntry | FailureEntry) -> None:
                if isinstance(found, CacheEntry):
                    plan.entry, plan.status = found, CACHED
                    plan.reason = "executed by another build meanwhile"
                else:
                    plan.failure, plan.status = found, FAILED
                    plan.reason = "failed in another build meanwhile"
                if plan.entry is not None:
                    store.touch([plan.entry.id])
                    _restore_artefacts(store, plan)
                _settle(plan, outcomes)

            def wait(count: int) -> None:
                logger.info(
                    bold("nbcache: another build is executing %d of these notebooks; waiting"),
                    count,
                )

            def run(batch: list[Plan], locks: dict[int, FileLock]) -> None:
                _execute(app, env, planner, batch, outcomes, locks)

            def key_of(plan: Plan) -> str | None:
                # force mode asks for this build's own execution
                assert plan.settings is not None
                return None if plan.settings.execution_mode == "force" else plan.key

            execute_once(
                store,
                todo,
                since,
                run,
                done_elsewhere,
                wait,
                uri_of=lambda plan: store.uri_for(plan.path),
                key_of=key_of,
            )
    failures = [o for o in outcomes.values() if o["status"] == FAILED]
    if failures and app.config.nbcache_raise_on_error:
        lines = [f"  {o['source']}: {o['error']}" for o in failures]
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


def _settle(plan: Plan, outcomes: dict[str, dict[str, Any]]) -> None:
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
    outcomes: dict[str, dict[str, Any]],
    locks: dict[int, FileLock],
) -> None:
    """Execute ``todo`` and store each result, releasing its lock in ``locks`` once stored."""
    config = app.config
    store = store_for(env)
    state = env_state(env)
    cache_dir = Path(state.cache_path)
    exclude = [cache_dir, Path(app.outdir), Path(app.doctreedir)]
    # documents are artefacts only when the notebook itself opened them for writing: one
    # saved in an editor while the notebook ran is not the notebook's
    suffixes = (*config.source_suffix, ".py")
    jobs = []
    for plan in todo:
        assert plan.nb is not None and plan.settings is not None
        jobs.append(
            Job(
                nb=plan.nb,
                cwd=plan.path.parent,
                name=plan.relpath,
                options=planner.execution_options(
                    plan.settings, plan.nb.metadata["kernelspec"]["name"]
                ),
                exclude=exclude,
                source_path=plan.path,
                source_suffixes=suffixes,
                payload=plan,
            )
        )
    max_jobs = config.nbcache_jobs or default_jobs()
    logger.info(
        bold("nbcache: executing %d notebook%s (%d at a time)"),
        len(jobs),
        "s" if len(jobs) > 1 else "",
        min(max_jobs, len(jobs)),
    )
    started = time.perf_counter()

    def on_result(job: Job, result: ExecutionResult, done: int, total: int) -> None:
        plan: Plan = job.payload
        # runs inside the scheduler: an exception here would stop every other notebook
        try:
            outcome = _store_result(store, planner, plan, result, [*exclude, plan.path])
        except (NbCacheError, OSError) as exc:
            outcome = plan.outcome(status=FAILED, error=f"could not store the result: {exc}")
            logger.warning(
                "%s", outcome["error"], type="nbcache", subtype="cache", location=plan.docname
            )
        outcomes[plan.docname] = outcome
        for warning in result.warnings:
            logger.warning("%s", warning, type="nbcache", subtype="artefact", location=plan.docname)
        lock = locks.get(id(plan))
        if lock is not None:  # another build waiting for it can now read the result
            lock.release()
        if outcome["status"] == EXECUTED:
            state.executed += 1
            verdict = f"executed in {result.seconds:.1f} s"
        else:
            state.failed += 1
            verdict = "failed"
            if result.error is not None:
                _warn_failure(plan, outcome, remembered=False)
        if config.nbcache_show_progress:
            logger.info(
                "nbcache: [%d/%d] %s %s (%s; %.1f s elapsed)",
                done,
                total,
                plan.relpath,
                verdict,
                plan.reason,
                time.perf_counter() - started,
            )

    execute_many(jobs, max_jobs=max_jobs, on_result=on_result)
    state.seconds += time.perf_counter() - started


def _store_result(
    store: NotebookCache,
    planner: Planner,
    plan: Plan,
    result: ExecutionResult,
    exclude: list[Path],
) -> dict[str, Any]:
    """Store a run (a record, or a failure with its partial notebook); return its outcome."""
    dependencies = recorded_dependencies(
        result.io, planner.root, exclude=exclude, hasher=planner.hasher
    )
    uri = store.uri_for(plan.path)
    seconds = round(result.seconds, 3)
    if result.error is None:
        plan.entry = store.add_notebook(
            result.nb,
            uri,
            inputs=plan.inputs,
            artefacts=result.artefacts,
            data=result.data(),
            dependencies=dependencies,
            validate=False,
        )
        return plan.outcome(status=EXECUTED, seconds=seconds, record_id=plan.entry.id)
    error = result.error
    store.record_failure(
        plan.key or "",
        uri,
        result.nb,
        error=str(error),
        traceback=error.traceback,
        cell_index=error.cell_index,
        data={
            **result.data(),
            "dependencies": dependencies,
            "ename": error.ename,
            # a failure stands only while these stay as they were too
            "settings": planner.run_settings(plan.settings) if plan.settings else None,
        },
    )
    outcome = plan.outcome(status=FAILED, seconds=seconds, error=str(error))
    outcome.update(traceback=error.traceback, cell_index=error.cell_index)
    return outcome


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


def _warn_failure(plan: Plan, outcome: dict[str, Any], remembered: bool) -> None:
    docname = plan.docname
    tail = [line for line in (outcome.get("traceback") or "").splitlines() if line.strip()][-5:]
    cell = outcome.get("cell_index")
    detail = ("\n" + "\n".join(tail)) if tail else ""
    again = " (remembered: its inputs did not change since it failed)" if remembered else ""
    logger.warning(
        "notebook execution failed%s: %s%s",
        again,
        outcome.get("error") or "unknown error",
        detail,
        type="nbcache",
        subtype="exec",
        location=(docname, _failure_line(plan, cell)) if isinstance(cell, int) else docname,
    )

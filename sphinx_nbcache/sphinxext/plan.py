"""Decide, per notebook document, whether it executes, and why.

Shared by the build (``env-get-outdated`` and ``env-before-read-docs``) and by ``nbcache
status``, so that both give the same verdict and the same reason. Nothing here executes.
"""

from __future__ import annotations

import copy
import fnmatch
import glob
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sphinx.config import Config

from sphinx_nbcache.engine import (
    ENVIRONMENT_FAULTS,
    CacheEntry,
    FailureEntry,
    FileHasher,
    InstalledVersions,
    KeyInputs,
    NotebookCache,
    NotebookReadError,
    Outcome,
    Status,
    add_eval_cells,
    dependency_changes,
    explain_change,
    key_inputs,
    read_notebook,
)

from .doc_outcome import DocOutcome
from .metadata_checks import inspect_notebook
from .settings import NotebookSettings, execution_options, kernel_name, notebook_settings
from .snapshot import NbcacheConfig, nbcache_config
from .sources import notebook_format

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: statuses of a notebook before execution (names kept for the modules that import them)
EXECUTE, CACHED, FAILED, OFF, EXCLUDED = (
    Status.EXECUTE,
    Status.CACHED,
    Status.FAILED,
    Status.OFF,
    Status.EXCLUDED,
)


@dataclass
class Plan:
    """What the build will do with one notebook document."""

    docname: str
    path: Path
    relpath: str
    status: Status
    reason: str = ""
    nb: NotebookNode | None = None  # prepared for execution (resolved kernel)
    settings: NotebookSettings | None = None
    inputs: KeyInputs | None = None
    declared: list[str] = field(default_factory=list)  # from the notebook's metadata
    entry: CacheEntry | None = None
    failure: FailureEntry | None = None
    problems: list[str] = field(default_factory=list)
    error: str = ""
    #: the reader format of its source (``ipynb``, ``md:myst``...)
    fmt: str = ""

    @property
    def key(self) -> str | None:
        return self.inputs.key() if self.inputs is not None else None

    @property
    def forced(self) -> bool:
        """Whether it must run in this build whatever is stored (execution mode ``force``)."""
        return self.settings is not None and self.settings.execution_mode == "force"

    def outcome(self, **changes: Any) -> DocOutcome:
        """This notebook's fate in the build, as planned (``changes``: :class:`Outcome`
        fields that differ)."""
        failure = self.failure
        outcome = Outcome(
            name=self.docname,
            source=self.relpath,
            status=self.status,
            reason=self.reason,
            seconds=self.entry.data.get("seconds") if self.entry else None,
            record_id=self.entry.id if self.entry else None,
            error=self.error or (failure.error if failure else ""),
            traceback=failure.traceback if failure else "",
            cell_index=failure.cell_index if failure else None,
            key=self.key,
        )
        return self.outcome_of(replace(outcome, **changes))

    def outcome_of(self, outcome: Outcome) -> DocOutcome:
        """This notebook's fate from an :class:`Outcome` (the runner's, of its run).

        A run whose result could not be stored says why in ``error``; its status stays
        ``executed`` (its page shows the run's outputs).
        """
        if outcome.store_error and not outcome.error:
            outcome = replace(
                outcome, error=f"its result could not be stored: {outcome.store_error}"
            )
        # what env-get-outdated needs to re-check an unchanged file cheaply
        return DocOutcome(outcome, _code_inputs(self.inputs), tuple(self.declared))


def _code_inputs(inputs: KeyInputs | None) -> dict[str, Any] | None:
    if inputs is None:
        return None
    data = inputs.to_json()
    data.pop("extra")
    return data


def has_outputs(nb: NotebookNode) -> bool:
    """Whether any code cell carries stored outputs."""
    return any(c.get("cell_type") == "code" and c.get("outputs") for c in nb.cells)


class Planner:
    """Plans notebooks of one project against one store."""

    def __init__(
        self,
        config: NbcacheConfig | Config,
        srcdir: str | Path,
        confdir: str | Path,
        store: NotebookCache,
    ) -> None:
        #: this run's configuration snapshot (a ``Config`` stands for its snapshot)
        self.conf = nbcache_config(config)
        self.srcdir = Path(srcdir).absolute()
        self.confdir = Path(confdir).absolute()
        self.store = store
        self.hasher = FileHasher(store)
        self.versions = InstalledVersions()
        self.root = self.conf.tracked_root

    # -- the key's declared part -------------------------------------------------------------
    def _glob(self, base: Path, patterns: list[str]) -> list[Path]:
        found: set[Path] = set()
        for pattern in patterns:
            for match in glob.glob(str(base / pattern), recursive=True):
                if os.path.isfile(match):
                    found.add(Path(match).absolute())
        return sorted(found)

    def _rel(self, path: Path) -> str:
        for base in (self.srcdir, self.root, self.confdir):
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                continue
        return path.as_posix()

    def key_extra(self, relpath: str, folder: Path, declared: list[str]) -> dict[str, Any]:
        """Declared dependencies, environment variables and lock files, as key inputs."""
        conf = self.conf
        extra: dict[str, Any] = {}
        patterns = [
            pat
            for nb_glob, pats in conf.dependencies.items()
            if fnmatch.fnmatch(relpath, nb_glob)
            for pat in pats
        ]
        files = self._glob(self.srcdir, patterns) + self._glob(folder, declared)
        if files:
            digests = self.hasher.hashes(files)
            extra["declared"] = {self._rel(p): digests[str(p)] for p in files}
        if conf.kernel_arguments:  # only when set: other keys stay as they were
            extra["kernel_args"] = list(conf.kernel_arguments)
        if conf.env_vars:
            extra["env"] = {name: os.environ.get(name) for name in conf.env_vars}
        if not isinstance(conf.env_fingerprint, str):  # lock files, even an empty list
            locks = self._glob(self.confdir, list(conf.lock_files))
            digests = self.hasher.hashes(locks)
            extra["locks"] = {self._rel(p): digests[str(p)] for p in locks}
        return extra

    # -- verdicts ----------------------------------------------------------------------------
    def stale_record(self, deps: Mapping[str, Any]) -> list[str]:
        """Why a record's recorded dependencies no longer hold (empty: it is valid)."""
        return dependency_changes(
            deps,
            self.root,
            self.hasher,
            check_packages=self.conf.fingerprints_packages,
            versions=self.versions,
        )

    def plan(self, docname: str, path: str | Path) -> Plan | None:
        """Plan one document; ``None`` when it is not a notebook."""
        conf = self.conf
        path = Path(path)
        fmt = notebook_format(conf, path)
        if fmt is None:
            return None
        try:
            rel = PurePosixPath(*path.absolute().relative_to(self.srcdir).parts).as_posix()
        except ValueError:
            rel = path.as_posix()
        plan = Plan(docname=docname, path=path, relpath=rel, status=EXECUTE, fmt=fmt)
        try:
            source_nb = read_notebook(path, fmt)
        except NotebookReadError as exc:
            plan.status, plan.error, plan.reason = FAILED, str(exc), "unreadable"
            return plan
        # settings and declared dependencies are read from a copy without ill-shaped values
        checked, plan.problems = inspect_notebook(source_nb)
        settings, problems = notebook_settings(conf, checked.metadata, plan.relpath)
        plan.problems += problems
        plan.settings = settings
        if settings.excluded:
            plan.status, plan.reason = EXCLUDED, "matches nbcache_exclude_patterns"
            return plan
        mode = settings.execution_mode
        if mode == "off":
            plan.status, plan.reason = OFF, "execution mode off"
            return plan
        if mode == "auto" and has_outputs(source_nb):
            plan.status, plan.reason = OFF, "has stored outputs (execution mode auto)"
            return plan
        # the kernel runs no ill-shaped metadata either (nbclient reads tags); a deep copy, as
        # the run and add_eval_cells may change cells
        nb = copy.deepcopy(checked)
        kernel = kernel_name(conf, settings, nb.metadata)
        spec = dict(nb.metadata.get("kernelspec") or {})
        spec["name"] = kernel
        spec.setdefault("display_name", kernel)
        nb.metadata["kernelspec"] = spec
        if mode == "inline":  # {eval} expressions become generated code cells (keyed, stored)
            nb = add_eval_cells(nb, conf.eval_name_regex)
        plan.nb = nb
        plan.declared = list(checked.metadata.get("nbcache", {}).get("dependencies") or [])
        extra = self.key_extra(plan.relpath, path.parent, plan.declared)
        plan.inputs = key_inputs(nb, default_kernel=conf.kernel, extra=extra)
        if mode == "force":
            plan.reason = "execution mode force"
            return plan
        self._judge(plan)
        return plan

    def _judge(self, plan: Plan) -> None:
        key = plan.key or ""
        found = self.store.result_for(key)
        if isinstance(found, CacheEntry):
            changed = self.stale_record(found.dependencies)
            if not changed:
                plan.entry, plan.status, plan.reason = found, CACHED, "unchanged"
                return
            plan.reason = "; ".join(changed)
            return
        if found is not None:
            failure = found
            retry = self.retry_failure(failure, plan.settings)
            if retry is None:
                plan.failure, plan.status = failure, FAILED
                plan.reason = "failed before with the same inputs"
            else:
                plan.reason = retry
            return
        previous = self.store.last_inputs(self.store.uri_for(plan.path))
        if previous is None:
            plan.reason = "new"
            return
        old_key, old_inputs = previous
        reasons = [] if old_key == key else explain_change(old_inputs, plan.inputs)  # type: ignore[arg-type]
        plan.reason = "; ".join(reasons) if reasons else "record evicted or removed"

    def needs_reading(self, info: DocOutcome, path: Path) -> str | None:
        """For a document Sphinx thinks unchanged: why it must be read again, or ``None``.

        :param info: the document's outcome in the last build (``Plan.outcome()``).
        """
        if info.status.from_file or not info.inputs:
            return None
        if self.conf.execution_mode == "force":
            return "execution mode force"
        if info.changed_under_build:
            return "the notebook changed while the last build executed it"
        code = info.inputs
        extra = self.key_extra(info.outcome.source, path.parent, list(info.declared))
        inputs = KeyInputs(
            code["kernel"],
            code["language"],
            tuple((i, d, tuple(t)) for i, d, t in code["cells"]),
            extra,
        )
        key = inputs.key()
        if key != info.key:
            return "declared inputs changed"  # plan() says which, once the file is read
        found = self.store.result_for(key)
        if isinstance(found, CacheEntry):
            changed = self.stale_record(found.dependencies)
            return "; ".join(changed) if changed else None
        if found is not None:
            return self.retry_failure(found)
        return "record evicted or removed"

    def run_settings(self, settings: NotebookSettings) -> dict[str, Any]:
        """The settings besides the key that can change a run's outcome, kept with a failure."""
        return execution_options(self.conf, settings).outcome_settings()

    def retry_failure(
        self, failure: FailureEntry, settings: NotebookSettings | None = None
    ) -> str | None:
        """Why a remembered failure executes again, or ``None`` while it stands.

        :param settings: the notebook's settings now; a failure stored with other timeouts,
            allow-errors or environment is executed again (the kernel is in the key).
        """
        changed = self.stale_record(failure.data.get("dependencies") or {})
        if changed:
            return "; ".join(changed)
        then = failure.data.get("settings")
        if settings is not None and isinstance(then, dict):
            now = self.run_settings(settings)
            moved = [name for name in now if name in then and then[name] != now[name]]
            if moved:
                return "settings changed since it failed: " + ", ".join(
                    f"{name} {then[name]!r} -> {now[name]!r}" if name != "env" else "env"
                    for name in moved
                )
        if failure.data.get("ename") in ENVIRONMENT_FAULTS:
            return f"retrying: {failure.error}"
        if self.conf.retry_failed:
            return "failed before; retrying (nbcache_retry_failed)"
        return None

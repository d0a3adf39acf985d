"""Decide, per notebook document, whether it executes, and why.

Shared by the build (``env-before-read-docs``) and by project-wide commands that explain a
build before it runs. No execution and no writes happen here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from nbformat import NotebookNode
from sphinx.config import Config

from sphinx_nbcache.engine import (
    CacheEntry,
    FailureEntry,
    KeyInputs,
    NotebookCache,
    NotebookReadError,
    key_inputs,
    read_notebook,
)
from sphinx_nbcache.engine.hashing import explain_change

from .settings import NotebookSettings, kernel_name, notebook_settings
from .sources import notebook_format

#: statuses of a notebook before execution
EXECUTE, CACHED, FAILED, OFF, EXCLUDED = "execute", "cached", "failed", "off", "excluded"


@dataclass
class Plan:
    """What the build will do with one notebook document."""

    docname: str
    path: Path
    relpath: str
    status: str
    reason: str = ""
    nb: NotebookNode | None = None  # prepared for execution (resolved kernel)
    settings: NotebookSettings | None = None
    inputs: KeyInputs | None = None
    entry: CacheEntry | None = None
    failure: FailureEntry | None = None
    problems: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def key(self) -> str | None:
        return self.inputs.key() if self.inputs is not None else None

    def outcome(self, **changes: Any) -> dict[str, Any]:
        """The JSON-ready record of this notebook's fate in the build."""
        out = {
            "docname": self.docname,
            "source": self.relpath,
            "status": self.status,
            "reason": self.reason,
            "seconds": self.entry.data.get("seconds") if self.entry else None,
            "record_id": self.entry.id if self.entry else None,
            "error": self.error or (self.failure.error if self.failure else ""),
            "key": self.key,
        }
        if self.failure is not None:
            out["traceback"] = self.failure.traceback
            out["cell_index"] = self.failure.cell_index
        out.update(changes)
        return out


def has_outputs(nb: NotebookNode) -> bool:
    """Whether any code cell carries stored outputs."""
    return any(c.get("cell_type") == "code" and c.get("outputs") for c in nb.cells)


def plan_notebook(
    config: Config,
    srcdir: str | Path,
    store: NotebookCache,
    docname: str,
    path: str | Path,
) -> Plan | None:
    """Plan one document; ``None`` when it is not a notebook."""
    path = Path(path)
    fmt = notebook_format(config, path)
    if fmt is None:
        return None
    try:
        relpath = PurePosixPath(*path.absolute().relative_to(Path(srcdir).absolute()).parts)
    except ValueError:
        relpath = PurePosixPath(path.as_posix())
    plan = Plan(docname=docname, path=path, relpath=relpath.as_posix(), status=EXECUTE)
    try:
        source_nb = read_notebook(path, fmt)
    except NotebookReadError as exc:
        plan.status, plan.error, plan.reason = FAILED, str(exc), "unreadable"
        return plan
    settings, plan.problems = notebook_settings(config, source_nb.metadata, plan.relpath)
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
    nb = copy.deepcopy(source_nb)
    kernel = kernel_name(config, settings, nb.metadata)
    spec = dict(nb.metadata.get("kernelspec") or {})
    spec["name"] = kernel
    spec.setdefault("display_name", kernel)
    nb.metadata["kernelspec"] = spec
    plan.nb = nb
    plan.inputs = key_inputs(nb, default_kernel=config.nbcache_kernel)
    if mode == "force":
        plan.reason = "execution mode force"
        return plan
    plan.entry = store.lookup(plan.key or "")
    if plan.entry is not None:
        plan.status, plan.reason = CACHED, "unchanged"
        return plan
    plan.failure = store.lookup_failure(plan.key or "")
    if plan.failure is not None and not config.nbcache_retry_failed:
        plan.status = FAILED
        plan.reason = "failed before with the same inputs (nbcache_retry_failed to retry)"
        return plan
    plan.reason = _why_stale(store, plan)
    return plan


def _why_stale(store: NotebookCache, plan: Plan) -> str:
    """Compare with the newest record of the same source, if any."""
    assert plan.inputs is not None
    if plan.failure is not None:
        return "failed before; retrying"
    previous = store.latest_for_uri(store.uri_for(plan.path))
    if previous is None:
        return "new"
    reasons = explain_change(previous.inputs, plan.inputs)
    return "; ".join(reasons) if reasons else "record evicted or removed"

"""A notebook document's outcome in a build: the engine's :class:`Outcome`, plus what the
next build needs to re-check the document without reading it.

This build's outcomes (``EnvState.outcomes``) and each page's (``EnvState.data``, pickled
with the environment) are :class:`DocOutcome` objects; the build log, ``nbcache-report.json``
and the execution tables are rendered from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sphinx_nbcache.engine import Outcome, Status

#: the columns of a row of ``nbcache-report.json`` and of the execution table
#: (``where``: where its result came from: ``local``, a Dask worker, the remote cache's URL
#: without credentials, an archive)
COLUMNS = (
    "docname",
    "source",
    "status",
    "reason",
    "seconds",
    "record_id",
    "error",
    "key",
    "where",
)


@dataclass(frozen=True)
class DocOutcome:
    """What became of one notebook document, and how to re-check it cheaply."""

    outcome: Outcome
    #: the code part of its key's inputs (kernel, language, cells: ``KeyInputs.to_json()``
    #: without ``extra``), to compare with the file as it is now
    inputs: dict[str, Any] | None = None
    #: the dependencies its metadata declares (globs relative to its folder)
    declared: tuple[str, ...] = field(default_factory=tuple)
    #: its source changed while the build executed it: the next build reads it again
    changed_under_build: bool = False

    @property
    def docname(self) -> str:
        return self.outcome.name

    @property
    def status(self) -> Status:
        return self.outcome.status

    @property
    def key(self) -> str | None:
        return self.outcome.key

    def with_outcome(self, **changes: Any) -> DocOutcome:
        """This outcome with some of its :class:`Outcome` fields changed."""
        return replace(self, outcome=replace(self.outcome, **changes))

    def kept(self) -> DocOutcome:
        """What the page keeps in the environment (not the traceback: it is in the store)."""
        return self.with_outcome(traceback="") if self.outcome.traceback else self

    def row(self) -> dict[str, Any]:
        """Its row of ``nbcache-report.json`` (JSON-ready)."""
        data = self.outcome.to_json()
        data["docname"] = self.docname
        return {name: data.get(name) for name in COLUMNS}

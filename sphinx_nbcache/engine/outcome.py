"""What happened to one notebook: a :class:`Status` and a frozen :class:`Outcome`.

The build log, ``nbcache-report.json``, the execution table and ``nbcache status`` are all
rendered from outcomes; nothing else spells a status.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class Status(str, Enum):
    """A notebook's status: planned (before execution) or final (after it)."""

    #: planned: it runs in this build
    EXECUTE = "execute"
    #: its record serves it
    CACHED = "cached"
    #: it ran in this build and its result was stored
    EXECUTED = "executed"
    #: it failed (in this build, or before with the same inputs and settings), or is unreadable
    FAILED = "failed"
    #: shown as stored in its file (execution mode off, or auto with stored outputs)
    OFF = "off"
    #: shown as stored: it matches ``nbcache_exclude_patterns``
    EXCLUDED = "excluded"

    def __str__(self) -> str:
        return self.value

    @property
    def from_file(self) -> bool:
        """Whether its page shows the outputs stored in the source file."""
        return self in (Status.OFF, Status.EXCLUDED)


@dataclass(frozen=True)
class Outcome:
    """One notebook's fate, and why."""

    #: how the front end names it (a Sphinx docname, or a cache URI)
    name: str
    #: its source path, relative to the project (POSIX)
    source: str
    status: Status
    reason: str = ""
    #: seconds its execution took (this build's or the record's)
    seconds: float | None = None
    record_id: int | None = None
    error: str = ""
    traceback: str = ""
    #: the index of the cell that failed, among all cells
    cell_index: int | None = None
    key: str | None = None
    #: why its run's result could not be stored (a read-only cache), else empty
    store_error: str = ""
    #: where it ran (``"local"``, a worker's address)
    where: str = ""

    @property
    def stored(self) -> bool:
        """Whether its result is in the store (a run that could not be stored is not)."""
        return not self.store_error

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAILED

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``status`` as its word)."""
        data = asdict(self)
        data["status"] = self.status.value
        return data

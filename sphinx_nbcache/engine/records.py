"""Plain, immutable views of database rows, safe to pass between threads and to JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any


def iso(ts: float | None) -> str | None:
    """A UNIX timestamp as an ISO 8601 UTC string (``None`` stays ``None``)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def stored_paths(text: Any) -> tuple[Any, ...]:
    """A JSON list of paths, as a column stores it, read as a tuple; never split into letters.

    Our writers store a JSON list. A row edited by hand or written by another tool may hold
    one path as a JSON string, or as plain text that is not JSON: either is that one path
    (``tuple()`` of a string would be its letters, each taken for a file). ``null`` or an
    empty text is no path. Items that are not strings are kept as they are, for the caller
    to report as a damaged record.
    """
    if not text:
        return ()
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return (text,)
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


@dataclass(frozen=True)
class CacheEntry:
    """An executed notebook in the cache."""

    id: int
    hashkey: str
    uri: str
    created: float
    accessed: float
    folder: str
    data: dict[str, Any] = field(default_factory=dict)
    artefacts: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    dependencies: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> CacheEntry:
        return cls(
            id=row.id,
            hashkey=row.hashkey,
            uri=row.uri,
            created=row.created,
            accessed=row.accessed,
            folder=row.folder,
            data=json.loads(row.data),
            artefacts=stored_paths(row.artefacts),
            inputs=json.loads(row.inputs),
            dependencies=json.loads(row.deps),
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (timestamps in ISO 8601)."""
        out = asdict(self)
        out["artefacts"] = list(self.artefacts)
        out["created"] = iso(self.created)
        out["accessed"] = iso(self.accessed)
        out.pop("folder")
        return out


@dataclass(frozen=True)
class FailureEntry:
    """The last failed execution of a notebook, with outputs up to the failure."""

    id: int
    hashkey: str
    uri: str
    created: float
    folder: str
    error: str
    traceback: str = ""
    cell_index: int | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> FailureEntry:
        return cls(
            id=row.id,
            hashkey=row.hashkey,
            uri=row.uri,
            created=row.created,
            folder=row.folder,
            error=row.error,
            traceback=row.traceback,
            cell_index=row.cell_index,
            data=json.loads(row.data),
        )

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["created"] = iso(self.created)
        out.pop("folder")
        return out


@dataclass(frozen=True)
class StagedEntry:
    """A notebook staged for execution by ``nbcache execute``."""

    id: int
    uri: str
    reader: str
    assets: tuple[str, ...]
    created: float
    status: str = "staged"
    error: str = ""
    traceback: str = ""
    executed: float | None = None

    @classmethod
    def from_row(cls, row: Any) -> StagedEntry:
        return cls(
            id=row.id,
            uri=row.uri,
            reader=row.reader,
            assets=stored_paths(row.assets),
            created=row.created,
            status=row.status,
            error=row.error,
            traceback=row.traceback,
            executed=row.executed,
        )

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["assets"] = list(self.assets)
        out["created"] = iso(self.created)
        out["executed"] = iso(self.executed)
        return out


@dataclass(frozen=True)
class FileStatEntry:
    """The content hash of a file, valid while its size and modification time are these."""

    path: str
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def from_row(cls, row: Any) -> FileStatEntry:
        return cls(path=row.path, size=row.size, mtime_ns=row.mtime_ns, sha256=row.sha256)

    def to_row(self) -> dict[str, Any]:
        return asdict(self)

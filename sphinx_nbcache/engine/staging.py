"""Staged notebooks: the work list of ``nbcache execute``, kept in the cache's database.

A notebook is staged by URI, with the reader to open it and the asset files (inside its
folder) that its run needs; the last execution's status is kept beside it. Staging never
touches records: whether a staged notebook is cached is decided by its current key
(:meth:`Staging.inputs`), as for any notebook.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from . import hashing
from .errors import ArtefactError, RecordNotFoundError
from .files import relative_inside
from .reader import AUTO, read_notebook
from .records import StagedEntry

if TYPE_CHECKING:
    from .cachefolder import CacheFolder


def _not_staged(staged_id: int) -> RecordNotFoundError:
    return RecordNotFoundError(
        f"no staged notebook with id {staged_id}; `nbcache stage list` shows the ids"
    )


class Staging:
    """The staged notebooks of one cache (``cache.staging``)."""

    def __init__(self, cache: CacheFolder) -> None:
        self._cache = cache

    def add(
        self,
        path: str | os.PathLike[str],
        *,
        reader: str = AUTO,
        assets: Iterable[str | os.PathLike[str]] = (),
    ) -> StagedEntry:
        """Stage a notebook file for execution (re-staging updates its reader and assets).

        :raises NotebookReadError: the file cannot be read as a notebook.
        :raises ArtefactError: an asset is outside the notebook's folder, or missing.
        """
        read_notebook(path, reader)  # refuse what `execute` could never run
        folder = Path(path).absolute().parent
        rels = []
        for item in assets:
            rel = relative_inside(item, folder)
            if not (folder / rel).exists():
                raise ArtefactError(f"Artifact Error: asset '{item}' does not exist")
            rels.append(rel)
        uri = self._cache.uri_for(path)
        m = self._cache.models
        with self._cache.db.write():
            row = m.StagedRecord.get_or_none(uri=uri)
            if row is None:
                row = m.StagedRecord.create(
                    uri=uri, reader=reader, assets=json.dumps(sorted(rels)), created=time.time()
                )
            else:
                row.reader = reader
                # read as the entry reads them: a damaged row's text is not split into letters
                kept = {a for a in StagedEntry.from_row(row).assets if isinstance(a, str)}
                row.assets = json.dumps(sorted(kept | set(rels)))
                row.save()
            return StagedEntry.from_row(row)

    def entries(self) -> list[StagedEntry]:
        """Every staged notebook, in the order they were staged."""
        m = self._cache.models
        with self._cache.db.read():
            query = m.StagedRecord.select().order_by(m.StagedRecord.id)
            return [StagedEntry.from_row(r) for r in query]

    def get(self, staged_id: int) -> StagedEntry:
        """:raises RecordNotFoundError: no staged notebook has this id."""
        with self._cache.db.read():
            row = self._cache.models.StagedRecord.get_or_none(id=int(staged_id))
        if row is None:
            raise _not_staged(staged_id)
        return StagedEntry.from_row(row)

    def get_by_uri(self, uri: str) -> StagedEntry | None:
        """The notebook staged under ``uri``, if any."""
        with self._cache.db.read():
            row = self._cache.models.StagedRecord.get_or_none(uri=uri)
        return StagedEntry.from_row(row) if row else None

    def remove(self, staged_id: int) -> StagedEntry:
        """Unstage by id.

        :raises RecordNotFoundError: no staged notebook has this id.
        """
        m = self._cache.models
        with self._cache.db.write():
            row = m.StagedRecord.get_or_none(id=int(staged_id))
            if row is None:
                raise _not_staged(staged_id)
            row.delete_instance()
        return StagedEntry.from_row(row)

    def remove_uri(self, uri: str) -> StagedEntry:
        """Unstage by URI (a path is converted with ``uri_for``).

        :raises RecordNotFoundError: nothing is staged under that URI.
        """
        m = self._cache.models
        candidates = {uri, self._cache.uri_for(uri)}
        with self._cache.db.write():
            row = m.StagedRecord.get_or_none(m.StagedRecord.uri.in_(list(candidates)))
            if row is None:
                raise RecordNotFoundError(
                    f"no staged notebook with URI {uri}; `nbcache stage list` shows the URIs"
                )
            row.delete_instance()
        return StagedEntry.from_row(row)

    def set_status(
        self, staged_id: int, status: str, *, error: str = "", traceback: str = ""
    ) -> None:
        """Record the outcome of the last execution of a staged notebook."""
        m = self._cache.models
        with self._cache.db.write():
            m.StagedRecord.update(
                status=status, error=error, traceback=traceback, executed=time.time()
            ).where(m.StagedRecord.id == int(staged_id)).execute()

    def inputs(
        self, entry: StagedEntry, default_kernel: str = hashing.DEFAULT_KERNEL
    ) -> hashing.KeyInputs:
        """Key inputs of a staged notebook's current file.

        :raises NotebookReadError: the file is gone or unreadable.
        """
        nb = read_notebook(self._cache.path_for(entry.uri), entry.reader)
        return hashing.key_inputs(nb, default_kernel=default_kernel)

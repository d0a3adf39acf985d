"""``NotebookCache``: the public API of a cache folder.

Layout of a cache folder::

    nbcache.db                 SQLite (WAL): records, staged notebooks, failures, settings
    records/<uuid>/notebook.ipynb
    records/<uuid>/artefacts/<relative path>
    failures/<uuid>/notebook.ipynb
    locks/<hash of a URI>.lock held while a process executes that notebook

Files are written into a temporary folder that is renamed into place *before* the database row
that points at it is committed, so a record never points at a missing file. Every writer runs
in the write transaction of :class:`.cachefolder.CacheFolder`, which hands out a
``cleanup(folder)`` callback: the folders given to it (those whose rows the transaction
deletes) are removed only after the commit, and the new folder is removed if the transaction
rolls back. What a killed writer leaves behind is swept when the cache is next opened. Eviction
(least recently accessed first) runs in the same ``BEGIN IMMEDIATE`` transaction as the insert
that triggers it. Staged notebooks are in :mod:`.staging`, the tables in :mod:`.models`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from . import hashing
from .cachefolder import CacheFolder, Cleanup
from .db import DB_NAME, READ_ONLY_HINT
from .errors import ArtefactError, CacheDatabaseError, NbCacheError, RecordNotFoundError
from .files import relative_inside, remove_tree, safe_join
from .folders import ARTEFACTS_DIR, NOTEBOOK_FILE
from .options import cli_cache_path
from .reader import AUTO, read_notebook
from .records import CacheEntry, FailureEntry, FileStatEntry, StagedEntry
from .staging import Staging
from .validation import validate_executed

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from .interfaces import ResultStore

__all__ = ["DEFAULT_CACHE_LIMIT", "NotebookCache", "default_cache_path", "validate_executed"]

DEFAULT_CACHE_LIMIT = 1000


def default_cache_path() -> Path:
    """The cache folder in use when none is given: ``$NBCACHE_PATH`` or ``./.nbcache``."""
    return cli_cache_path()


class NotebookCache(CacheFolder):
    """A cache of executed notebooks in one folder.

    :param path: the cache folder (created on first use).
    :param root: the folder that URIs are relative to, so a moved or cloned project still
        matches; defaults to the cache folder's parent.
    """

    def __init__(self, path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None):
        super().__init__(path, root)
        #: the staged notebooks of this cache (``nbcache stage``, ``nbcache execute``)
        self.staging = Staging(self)

    # -- settings --------------------------------------------------------------------------
    @property
    def cache_limit(self) -> int:
        """How many records the cache keeps before evicting the least recently accessed."""
        with self.db.read():
            return self._limit_in_tx()

    @cache_limit.setter
    def cache_limit(self, value: int) -> None:
        if int(value) < 1:
            raise NbCacheError(f"cache limit must be at least 1, not {value}")
        with self._transact() as cleanup:
            self.models.Setting.replace(key="cache_limit", value=str(int(value))).execute()
            self._evict(int(value), None, cleanup)

    def _limit_in_tx(self) -> int:
        row = self.models.Setting.get_or_none(key="cache_limit")
        return int(row.value) if row else DEFAULT_CACHE_LIMIT

    # -- keys ------------------------------------------------------------------------------
    @staticmethod
    def key_inputs(
        nb: NotebookNode,
        *,
        default_kernel: str = hashing.DEFAULT_KERNEL,
        extra: Mapping[str, Any] | None = None,
    ) -> hashing.KeyInputs:
        """The cache-key inputs of a notebook (see :mod:`sphinx_nbcache.engine.hashing`)."""
        return hashing.key_inputs(nb, default_kernel=default_kernel, extra=extra)

    # -- cache records: writing -----------------------------------------------------------
    def add_notebook(
        self,
        nb: NotebookNode,
        uri: str,
        *,
        inputs: hashing.KeyInputs | None = None,
        artefacts: Mapping[str, str | os.PathLike[str]] | None = None,
        data: Mapping[str, Any] | None = None,
        dependencies: Mapping[str, Any] | None = None,
        validate: bool = True,
        created: float | None = None,
    ) -> CacheEntry:
        """Store an executed notebook (replacing a record with the same key).

        :param nb: the executed notebook.
        :param uri: where it came from (see :meth:`uri_for`).
        :param inputs: its key inputs; computed from ``nb`` when omitted.
        :param artefacts: ``{relative POSIX path: file to copy}``.
        :param data: execution data (seconds, per-cell timing, kernel, versions...).
        :param dependencies: what the run read (files with hashes, packages).
        :param validate: check that execution counts go up from 1.
        :param created: when it was executed, if not now (a record imported or fetched
            keeps its original time; it is still marked as accessed now).
        :raises ValidationError: when ``validate`` and the counts are out of order.
        :raises ArtefactError: an artefact name leaves its folder, or its file is unreadable.
        """
        if validate:
            validate_executed(nb, uri)
        inputs = inputs if inputs is not None else hashing.key_inputs(nb)
        files = _artefact_files(artefacts or {})
        columns = {  # all of it before the folder is written: nothing can fail in between
            "uri": uri,
            "data": json.dumps(dict(data or {}), default=str),
            "artefacts": json.dumps(sorted(files)),
            "inputs": json.dumps(inputs.to_json()),
            "deps": json.dumps(dict(dependencies or {}), default=str),
        }
        folder = self._write_folder("records", nb, files)
        with self._transact(new=folder) as cleanup:
            return self._insert_record(
                inputs.key(), {**columns, "folder": folder.name}, cleanup, created
            )

    def _insert_record(
        self, key: str, columns: dict[str, Any], cleanup: Cleanup, created: float | None = None
    ) -> CacheEntry:
        """Inside a write transaction: the record replaces its key's record and failure."""
        m = self.models
        # stamped under the write lock, so access order is commit order: a record stamped
        # before waiting for the lock would be the next one evicted
        now = time.time()
        old = m.CacheRecord.get_or_none(hashkey=key)
        if old is not None:
            cleanup(self._folder("records", old.folder))
            old.delete_instance()
        when = now if created is None else created
        row = m.CacheRecord.create(hashkey=key, created=when, accessed=now, **columns)
        m.Source.replace(uri=row.uri, hashkey=key, inputs=row.inputs, updated=now).execute()
        # a success supersedes any recorded failure of the same inputs
        for failed in m.Failure.select().where(m.Failure.hashkey == key):
            cleanup(self._folder("failures", failed.folder))
            failed.delete_instance()
        self._evict(self._limit_in_tx(), row.id, cleanup)
        return CacheEntry.from_row(row)

    def add_file(
        self,
        path: str | os.PathLike[str],
        *,
        artefacts: Iterable[str | os.PathLike[str]] = (),
        reader: str = AUTO,
        validate: bool = True,
    ) -> CacheEntry:
        """Cache an executed notebook file, with artefact files from inside its folder.

        :raises ArtefactError: an artefact is outside the notebook's folder.
        """
        nb = read_notebook(path, reader)
        folder = Path(path).absolute().parent
        files: dict[str, Path] = {}
        for item in artefacts:
            rel = relative_inside(item, folder)
            full = folder / rel
            if not full.is_file():
                raise ArtefactError(f"Artifact Error: '{item}' is not a readable file")
            files[rel] = full
        return self.add_notebook(nb, self.uri_for(path), artefacts=files, validate=validate)

    def _evict(self, limit: int, keep: int | None, cleanup: Cleanup) -> None:
        """Inside a write transaction: delete the least recently accessed over ``limit``."""
        m = self.models
        excess = m.CacheRecord.select().count() - limit
        if excess <= 0:
            return
        query = m.CacheRecord.select(m.CacheRecord.id, m.CacheRecord.folder)
        if keep is not None:
            query = query.where(m.CacheRecord.id != keep)
        order = (m.CacheRecord.accessed.asc(), m.CacheRecord.id.asc())
        victims = list(query.order_by(*order).limit(excess))
        if victims:
            m.CacheRecord.delete().where(m.CacheRecord.id.in_([v.id for v in victims])).execute()
        for victim in victims:
            cleanup(self._folder("records", victim.folder))

    # -- cache records: reading -----------------------------------------------------------
    def get(self, record_id: int) -> CacheEntry:
        """The record with this id.

        :raises RecordNotFoundError: no such record.
        """
        with self.db.read():
            row = self.models.CacheRecord.get_or_none(id=int(record_id))
        if row is None:
            raise RecordNotFoundError(
                f"no cache record with id {record_id}; `nbcache cache list` shows the ids"
            )
        return CacheEntry.from_row(row)

    def result_for(self, hashkey: str) -> CacheEntry | FailureEntry | None:
        """The record with this key, else the failure remembered for it, else ``None``.

        The one look-up of a key's result, for every caller (planning, claiming, rendering).
        """
        with self.db.read():
            row = self.models.CacheRecord.get_or_none(hashkey=hashkey)
            if row is not None:
                return CacheEntry.from_row(row)
            failure = self.models.Failure.get_or_none(hashkey=hashkey)
        return FailureEntry.from_row(failure) if failure else None

    def lookup(self, hashkey: str) -> CacheEntry | None:
        """The record with this key, without marking it accessed."""
        with self.db.read():
            row = self.models.CacheRecord.get_or_none(hashkey=hashkey)
        return CacheEntry.from_row(row) if row else None

    def lookup_many(self, hashkeys: Iterable[str]) -> dict[str, CacheEntry]:
        """Records for many keys in one query: ``{key: entry}`` for the keys that have one."""
        keys = list(set(hashkeys))
        m = self.models
        out: dict[str, CacheEntry] = {}
        with self.db.read():
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                for row in m.CacheRecord.select().where(m.CacheRecord.hashkey.in_(chunk)):
                    out[row.hashkey] = CacheEntry.from_row(row)
        return out

    def match(self, hashkey: str) -> CacheEntry | None:
        """The record with this key, marked as accessed now (for eviction).

        Look-up and mark happen in one transaction, so an eviction cannot come in between.
        """
        if self.read_only:
            return self.lookup(hashkey)  # served, not marked
        m = self.models
        with self.db.write():
            row = m.CacheRecord.get_or_none(hashkey=hashkey)
            if row is None:
                return None
            row.accessed = time.time()
            row.save(only=[m.CacheRecord.accessed])
            return CacheEntry.from_row(row)

    def touch(self, record_ids: Iterable[int]) -> None:
        """Mark records as accessed now, in one transaction."""
        ids = [int(i) for i in record_ids]
        if not ids or self.read_only:
            return  # a read-only cache serves its records without marking them
        m = self.models
        with self.db.write():
            m.CacheRecord.update(accessed=time.time()).where(m.CacheRecord.id.in_(ids)).execute()

    def list_records(self, latest_only: bool = False) -> list[CacheEntry]:
        """All records, oldest first; with ``latest_only`` the newest per URI."""
        m = self.models
        with self.db.read():
            rows = [
                CacheEntry.from_row(r) for r in m.CacheRecord.select().order_by(m.CacheRecord.id)
            ]
        if latest_only:
            newest: dict[str, CacheEntry] = {}
            for row in rows:
                if row.uri not in newest or row.created >= newest[row.uri].created:
                    newest[row.uri] = row
            rows = sorted(newest.values(), key=lambda r: r.id)
        return rows

    def last_inputs(self, uri: str) -> tuple[str, dict[str, Any]] | None:
        """``(key, key inputs)`` last cached for ``uri``, even if that record is gone since."""
        with self.db.read():
            row = self.models.Source.get_or_none(uri=uri)
        return (row.hashkey, json.loads(row.inputs)) if row else None

    def remove(self, record_id: int) -> CacheEntry:
        """Delete a record and its files.

        :raises RecordNotFoundError: no such record.
        """
        with self._transact() as cleanup:
            row = self.models.CacheRecord.get_or_none(id=int(record_id))
            if row is None:
                raise RecordNotFoundError(
                    f"no cache record with id {record_id}; `nbcache cache list` shows the ids"
                )
            entry = CacheEntry.from_row(row)
            cleanup(self._folder("records", row.folder))
            row.delete_instance()
        return entry

    def notebook_path(self, entry: CacheEntry) -> Path:
        """The stored executed notebook file of a record."""
        return self.path / "records" / entry.folder / NOTEBOOK_FILE

    def load_notebook(self, entry: CacheEntry | int) -> NotebookNode:
        """The executed notebook of a record (by entry or id)."""
        import nbformat  # here: a no-op build imports none of it

        if not isinstance(entry, CacheEntry):
            entry = self.get(entry)
        path = self.notebook_path(entry)
        try:
            return nbformat.read(str(path), as_version=4)
        except FileNotFoundError:
            raise NbCacheError(
                f"{path}: the stored notebook of record {entry.id} is missing; "
                f"run `nbcache cache remove {entry.id}` and execute it again"
            ) from None

    def artefact_path(self, entry: CacheEntry | int, rel: str) -> Path:
        """The stored file of one artefact of a record.

        :raises ArtefactError: the record has no such artefact.
        """
        if not isinstance(entry, CacheEntry):
            entry = self.get(entry)
        rel = PurePosixPath(rel.replace(os.sep, "/")).as_posix()
        if rel not in entry.artefacts:
            raise ArtefactError(
                f"Artifact Error: record {entry.id} has no artefact '{rel}'"
                + (f" (it has: {', '.join(entry.artefacts)})" if entry.artefacts else "")
            )
        return safe_join(self.path / "records" / entry.folder / ARTEFACTS_DIR, rel)

    def artefact_dir(self, entry: CacheEntry) -> Path:
        """The folder holding a record's artefacts, laid out as in the notebook's folder."""
        return self.path / "records" / entry.folder / ARTEFACTS_DIR

    # -- failures -------------------------------------------------------------------------
    def record_failure(
        self,
        hashkey: str,
        uri: str,
        nb: NotebookNode,
        *,
        error: str,
        traceback: str = "",
        cell_index: int | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> FailureEntry:
        """Remember that these inputs failed, with the outputs up to the failure."""
        folder = self._write_folder("failures", nb, {})
        m = self.models
        with self._transact(new=folder) as cleanup:
            old = m.Failure.get_or_none(hashkey=hashkey)
            if old is not None:
                cleanup(self._folder("failures", old.folder))
                old.delete_instance()
            row = m.Failure.create(
                hashkey=hashkey,
                uri=uri,
                created=time.time(),
                folder=folder.name,
                error=error,
                traceback=traceback,
                cell_index=cell_index,
                data=json.dumps(dict(data or {}), default=str),
            )
            return FailureEntry.from_row(row)

    def lookup_failure(self, hashkey: str) -> FailureEntry | None:
        """The recorded failure of these inputs, if any."""
        with self.db.read():
            row = self.models.Failure.get_or_none(hashkey=hashkey)
        return FailureEntry.from_row(row) if row else None

    def list_failures(self) -> list[FailureEntry]:
        with self.db.read():
            return [FailureEntry.from_row(r) for r in self.models.Failure.select()]

    def remove_failure(self, hashkey: str) -> None:
        with self._transact() as cleanup:
            row = self.models.Failure.get_or_none(hashkey=hashkey)
            if row is not None:
                cleanup(self._folder("failures", row.folder))
                row.delete_instance()

    def load_failure_notebook(self, entry: FailureEntry) -> NotebookNode:
        """The partially executed notebook of a failure."""
        import nbformat  # here: a no-op build imports none of it

        path = self._folder("failures", entry.folder) / NOTEBOOK_FILE
        return nbformat.read(str(path), as_version=4)

    # -- staging: see .staging (these names are what the CLI, the runner and tests call) --
    def stage(
        self,
        path: str | os.PathLike[str],
        *,
        reader: str = AUTO,
        assets: Iterable[str | os.PathLike[str]] = (),
    ) -> StagedEntry:
        return self.staging.add(path, reader=reader, assets=assets)

    def list_staged(self) -> list[StagedEntry]:
        return self.staging.entries()

    def get_staged(self, staged_id: int) -> StagedEntry:
        return self.staging.get(staged_id)

    def get_staged_by_uri(self, uri: str) -> StagedEntry | None:
        return self.staging.get_by_uri(uri)

    def unstage(self, staged_id: int) -> StagedEntry:
        return self.staging.remove(staged_id)

    def unstage_uri(self, uri: str) -> StagedEntry:
        return self.staging.remove_uri(uri)

    def set_staged_status(
        self, staged_id: int, status: str, *, error: str = "", traceback: str = ""
    ) -> None:
        self.staging.set_status(staged_id, status, error=error, traceback=traceback)

    def staged_inputs(
        self, entry: StagedEntry, default_kernel: str = hashing.DEFAULT_KERNEL
    ) -> hashing.KeyInputs:
        return self.staging.inputs(entry, default_kernel)

    # -- file hashes (for .deps.FileHasher) ------------------------------------------------
    def file_stats(self, paths: Sequence[str]) -> dict[str, FileStatEntry]:
        """The stored stat and hash of each of these files that has one, by path."""
        m = self.models
        known: dict[str, FileStatEntry] = {}
        with self.db.read():
            for start in range(0, len(paths), 500):
                chunk = list(paths[start : start + 500])
                for row in m.FileStat.select().where(m.FileStat.path.in_(chunk)):
                    known[row.path] = FileStatEntry.from_row(row)
        return known

    def store_file_stats(self, stats: Iterable[FileStatEntry]) -> None:
        """Keep these stats and hashes (replacing those of the same paths), in one write."""
        rows = [stat.to_row() for stat in stats]
        if not rows:
            return
        with self.db.write():
            for start in range(0, len(rows), 200):
                self.models.FileStat.replace_many(rows[start : start + 200]).execute()

    # -- everything -------------------------------------------------------------------------
    def clear(self) -> None:
        """Delete every record, staged notebook, failure and file of this cache.

        A healthy database is emptied in one transaction (other processes may have it open;
        its settings stay); a damaged one is deleted outright, which is the way out of it.
        """
        try:
            read_only = self.read_only
        except CacheDatabaseError:
            read_only = False  # damaged: deleted below
        if read_only:
            # never wiped: a read-only cache is healthy, and its files may not be ours to delete
            raise CacheDatabaseError(f"{self.path}: cannot clear it; {READ_ONLY_HINT}")
        try:
            self._clear_rows()
            self.sweep()  # and what no row referenced any more (a database recreated)
        except CacheDatabaseError:
            with self._lock():
                self.close()
                for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
                    (self.path / name).unlink(missing_ok=True)
                for kind in ("records", "failures"):
                    remove_tree(self.path / kind)
                self._db = None

    def _clear_rows(self) -> None:
        m = self.models
        # only the folders whose rows are deleted: another process may be writing a new one
        with self._transact() as cleanup:
            for kind, model in (("records", m.CacheRecord), ("failures", m.Failure)):
                for row in model.select(model.folder):
                    cleanup(self._folder(kind, row.folder))
            for table in (m.CacheRecord, m.Failure, m.StagedRecord, m.Source, m.FileStat):
                table.delete().execute()


def _artefact_files(artefacts: Mapping[str, str | os.PathLike[str]]) -> dict[str, Path]:
    """``{relative path: file}``, every name and file checked before anything is written."""
    files = {rel: Path(src) for rel, src in artefacts.items()}
    for rel, src in files.items():
        safe_join(Path("."), rel)  # refuse escaping names
        if not src.is_file():
            raise ArtefactError(f"Artifact Error: '{src}' is not a readable file")
    return files


if TYPE_CHECKING:
    # mypy checks that the SQLite store is a ResultStore (the runner's seam)
    _store: ResultStore = NotebookCache(".")

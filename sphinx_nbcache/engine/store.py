"""``NotebookCache``: the public API of a cache folder.

Layout of a cache folder::

    nbcache.db                 SQLite (WAL): records, staged notebooks, failures, settings
    records/<uuid>/notebook.ipynb
    records/<uuid>/artefacts/<relative path>
    failures/<uuid>/notebook.ipynb
    locks/<hash of a URI>.lock held while a process executes that notebook

Files are written into a temporary folder that is renamed into place *before* the database row
that points at it is committed, so a record never points at a missing file; folders whose row
is gone are removed after the commit. Eviction (least recently accessed first) runs in the same
``BEGIN IMMEDIATE`` transaction as the insert that triggers it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat
from filelock import FileLock
from nbformat import NotebookNode

from . import hashing
from .db import DB_NAME, READ_ONLY_HINT, Database
from .errors import (
    ArtefactError,
    CacheDatabaseError,
    NbCacheError,
    RecordNotFoundError,
    ValidationError,
)
from .files import copy_into, relative_inside, remove_tree, safe_join
from .options import cli_cache_path
from .reader import AUTO, read_notebook
from .records import CacheEntry, FailureEntry, StagedEntry

DEFAULT_CACHE_LIMIT = 1000
NOTEBOOK_FILE = "notebook.ipynb"
ARTEFACTS_DIR = "artefacts"
#: a temporary or unreferenced folder untouched this long belongs to no live writer
STALE_SECONDS = 15 * 60
#: the names :meth:`NotebookCache.sweep` may remove: ours, nothing else
_SWEPT_NAME = re.compile(r"(\.tmp-)?[0-9a-f]{32}")


def _newest_mtime(folder: Path) -> float:
    """The latest modification time in a folder tree (a writer may be filling a subfolder)."""
    newest = 0.0
    for dirpath, _dirs, files in os.walk(folder):
        for name in [dirpath, *(os.path.join(dirpath, f) for f in files)]:
            with contextlib.suppress(OSError):
                newest = max(newest, os.stat(name, follow_symlinks=False).st_mtime)
    return newest


def default_cache_path() -> Path:
    """The cache folder in use when none is given: ``$NBCACHE_PATH`` or ``./.nbcache``."""
    return cli_cache_path()


class NotebookCache:
    """A cache of executed notebooks in one folder.

    :param path: the cache folder (created on first use).
    :param root: the folder that URIs are relative to, so a moved or cloned project still
        matches; defaults to the cache folder's parent.
    """

    def __init__(self, path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None):
        self.path = Path(path).absolute()
        self.root = Path(root).absolute() if root is not None else self.path.parent
        self._db: Database | None = None
        self._swept = False  # stale temporary and orphan folders removed (once, on a write)

    def __repr__(self) -> str:
        return f"NotebookCache({str(self.path)!r})"

    # -- plumbing --------------------------------------------------------------------------
    @property
    def db(self) -> Database:
        if self._db is None:
            self._make_folder(self.path)
            self._db = Database(self.path / DB_NAME)
        return self._db

    @property
    def read_only(self) -> bool:
        """Whether the cache can only be read (it serves its records, stores nothing)."""
        self.db.connect()
        return self.db.read_only

    def _make_folder(self, folder: Path) -> None:
        """Create a folder of the cache; a file in its way is a one-line error, not a crash."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise CacheDatabaseError(
                f"{folder}: is a file, not a cache folder; move it away or set nbcache_path "
                "(-p/--cache-path) to another folder"
            ) from None
        except OSError as exc:
            raise CacheDatabaseError(
                f"{folder}: cannot create the cache folder ({exc.strerror or exc}); "
                "set nbcache_path (-p/--cache-path) to a writable folder"
            ) from None

    @property
    def models(self):
        return self.db.models

    def close(self) -> None:
        """Close this process's database connection (reopened on next use)."""
        if self._db is not None:
            self._db.close()

    def __enter__(self) -> NotebookCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _lock(self) -> FileLock:
        self._make_folder(self.path)
        return FileLock(str(self.path / ".lock"))

    def execution_lock(self, uri: str) -> FileLock:
        """The lock a process holds while it executes the notebook ``uri`` into this cache.

        Builds sharing the cache take it so that a notebook stale in both executes once:
        the second finds the first one's record once the lock is free. One empty file per
        notebook, kept (a process waiting for it may hold it open).
        """
        folder = self.path / "locks"
        self._make_folder(folder)
        name = hashlib.sha256(uri.encode("utf-8")).hexdigest()[:32]
        # not thread-local: the executing thread may not be the one that took it
        return FileLock(str(folder / f"{name}.lock"), thread_local=False)

    # -- URIs ------------------------------------------------------------------------------
    def uri_for(self, path: str | os.PathLike[str]) -> str:
        """The URI stored for a notebook file: relative to :attr:`root` where possible."""
        full = Path(path).absolute()
        try:
            return PurePosixPath(*full.relative_to(self.root).parts).as_posix()
        except ValueError:
            return full.as_posix()

    def path_for(self, uri: str) -> Path:
        """The file a URI designates."""
        p = Path(uri)
        return p if p.is_absolute() else self.root / p

    # -- settings --------------------------------------------------------------------------
    @property
    def cache_limit(self) -> int:
        """How many records the cache keeps before evicting the least recently accessed."""
        with self.db.read():
            row = self.models.Setting.get_or_none(key="cache_limit")
        return int(row.value) if row else DEFAULT_CACHE_LIMIT

    @cache_limit.setter
    def cache_limit(self, value: int) -> None:
        if int(value) < 1:
            raise NbCacheError(f"cache limit must be at least 1, not {value}")
        folders: list[str] = []
        with self.db.write():
            self.models.Setting.replace(key="cache_limit", value=str(int(value))).execute()
            folders = self._evict(int(value), keep=None)
        self._remove_folders("records", folders)

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
    ) -> CacheEntry:
        """Store an executed notebook (replacing a record with the same key).

        :param nb: the executed notebook.
        :param uri: where it came from (see :meth:`uri_for`).
        :param inputs: its key inputs; computed from ``nb`` when omitted.
        :param artefacts: ``{relative POSIX path: file to copy}``.
        :param data: execution data (seconds, per-cell timing, kernel, versions...).
        :param dependencies: what the run read (files with hashes, packages).
        :param validate: check that execution counts go up from 1.
        :raises ValidationError: when ``validate`` and the counts are out of order.
        """
        if validate:
            validate_executed(nb, uri)
        if inputs is None:
            inputs = hashing.key_inputs(nb)
        artefact_files = {rel: Path(src) for rel, src in (artefacts or {}).items()}
        for rel, src in artefact_files.items():
            safe_join(Path("."), rel)  # refuse escaping names before writing anything
            if not src.is_file():
                raise ArtefactError(f"Artifact Error: '{src}' is not a readable file")
        folder = self._write_folder("records", nb, artefact_files, sub=ARTEFACTS_DIR)
        m = self.models
        old_folders: list[str] = []
        try:
            with self.db.write():
                # stamped under the write lock, so access order is commit order: a record
                # stamped before waiting for the lock would be the next one evicted
                now = time.time()
                old = m.CacheRecord.get_or_none(hashkey=inputs.key())
                if old is not None:
                    old_folders.append(old.folder)
                    old.delete_instance()
                row = m.CacheRecord.create(
                    hashkey=inputs.key(),
                    uri=uri,
                    created=now,
                    accessed=now,
                    folder=folder,
                    data=json.dumps(dict(data or {}), default=str),
                    artefacts=json.dumps(sorted(artefact_files)),
                    inputs=json.dumps(inputs.to_json()),
                    deps=json.dumps(dict(dependencies or {}), default=str),
                )
                m.Source.replace(
                    uri=uri, hashkey=inputs.key(), inputs=row.inputs, updated=now
                ).execute()
                # a success supersedes any recorded failure of the same inputs
                failed = list(m.Failure.select().where(m.Failure.hashkey == inputs.key()))
                for f in failed:
                    f.delete_instance()
                old_folders += self._evict(self._limit_in_tx(), keep=row.id)
                entry = CacheEntry.from_row(row)
        except BaseException:
            remove_tree(self.path / "records" / folder)
            raise
        self._remove_folders("records", old_folders)
        self._remove_folders("failures", [f.folder for f in failed])
        return entry

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

    def _limit_in_tx(self) -> int:
        row = self.models.Setting.get_or_none(key="cache_limit")
        return int(row.value) if row else DEFAULT_CACHE_LIMIT

    def _evict(self, limit: int, keep: int | None) -> list[str]:
        """Inside a write transaction: delete the least recently accessed over ``limit``."""
        m = self.models
        excess = m.CacheRecord.select().count() - limit
        if excess <= 0:
            return []
        query = m.CacheRecord.select(m.CacheRecord.id, m.CacheRecord.folder)
        if keep is not None:
            query = query.where(m.CacheRecord.id != keep)
        victims = list(
            query.order_by(m.CacheRecord.accessed.asc(), m.CacheRecord.id.asc()).limit(excess)
        )
        if victims:
            m.CacheRecord.delete().where(m.CacheRecord.id.in_([v.id for v in victims])).execute()
        return [v.folder for v in victims]

    def _write_folder(
        self, kind: str, nb: NotebookNode, files: Mapping[str, Path], sub: str
    ) -> str:
        """Write a notebook (and files) into ``<kind>/<uuid>`` atomically; return the uuid."""
        if self.read_only:
            raise CacheDatabaseError(f"{self.path}: cannot store {kind}; {READ_ONLY_HINT}")
        if not self._swept:
            self._swept = True
            self.sweep()
        name = uuid.uuid4().hex
        base = self.path / kind
        tmp = base / f".tmp-{name}"
        tmp.mkdir(parents=True)
        try:
            nbformat.write(nb, str(tmp / NOTEBOOK_FILE))
            if files:
                copy_into(dict(files), tmp / sub)
            os.replace(tmp, base / name)
        except BaseException:
            remove_tree(tmp)
            raise
        return name

    def sweep(self, older_than: float = STALE_SECONDS) -> list[Path]:
        """Remove what killed writers and recreated databases leave behind; return it.

        Under ``records/`` and ``failures/`` only: temporary folders (``.tmp-<uuid>``) and
        record folders (``<uuid>``) that no row references, untouched for ``older_than``
        seconds. The age keeps a concurrent writer's live folder (renamed into place just before
        its row is committed) safe; anything else found there is left alone.
        """
        removed: list[Path] = []
        deadline = time.time() - older_than
        for kind, model in (
            ("records", self.models.CacheRecord),
            ("failures", self.models.Failure),
        ):
            base = self.path / kind
            try:
                entries = list(base.iterdir())
            except OSError:
                continue
            candidates = [p for p in entries if _SWEPT_NAME.fullmatch(p.name) and p.is_dir()]
            if not candidates:
                continue
            with self.db.read():
                used = {row.folder for row in model.select(model.folder)}
            for folder in candidates:
                if folder.name in used or _newest_mtime(folder) > deadline:
                    continue
                remove_tree(folder)
                removed.append(folder)
        return removed

    def _remove_folders(self, kind: str, folders: Iterable[str]) -> None:
        for name in folders:
            remove_tree(self.path / kind / name)

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
        m = self.models
        with self.db.write():
            row = m.CacheRecord.get_or_none(id=int(record_id))
            if row is None:
                raise RecordNotFoundError(
                    f"no cache record with id {record_id}; `nbcache cache list` shows the ids"
                )
            entry = CacheEntry.from_row(row)
            row.delete_instance()
        self._remove_folders("records", [entry.folder])
        return entry

    def notebook_path(self, entry: CacheEntry) -> Path:
        """The stored executed notebook file of a record."""
        return self.path / "records" / entry.folder / NOTEBOOK_FILE

    def load_notebook(self, entry: CacheEntry | int) -> NotebookNode:
        """The executed notebook of a record (by entry or id)."""
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
        folder = self._write_folder("failures", nb, {}, sub=ARTEFACTS_DIR)
        m = self.models
        old_folders: list[str] = []
        try:
            with self.db.write():
                old = m.Failure.get_or_none(hashkey=hashkey)
                if old is not None:
                    old_folders.append(old.folder)
                    old.delete_instance()
                row = m.Failure.create(
                    hashkey=hashkey,
                    uri=uri,
                    created=time.time(),
                    folder=folder,
                    error=error,
                    traceback=traceback,
                    cell_index=cell_index,
                    data=json.dumps(dict(data or {}), default=str),
                )
                entry = FailureEntry.from_row(row)
        except BaseException:
            remove_tree(self.path / "failures" / folder)
            raise
        self._remove_folders("failures", old_folders)
        return entry

    def lookup_failure(self, hashkey: str) -> FailureEntry | None:
        """The recorded failure of these inputs, if any."""
        with self.db.read():
            row = self.models.Failure.get_or_none(hashkey=hashkey)
        return FailureEntry.from_row(row) if row else None

    def list_failures(self) -> list[FailureEntry]:
        with self.db.read():
            return [FailureEntry.from_row(r) for r in self.models.Failure.select()]

    def remove_failure(self, hashkey: str) -> None:
        m = self.models
        with self.db.write():
            row = m.Failure.get_or_none(hashkey=hashkey)
            if row is None:
                return
            row.delete_instance()
        self._remove_folders("failures", [row.folder])

    def load_failure_notebook(self, entry: FailureEntry) -> NotebookNode:
        """The partially executed notebook of a failure."""
        return nbformat.read(
            str(self.path / "failures" / entry.folder / NOTEBOOK_FILE), as_version=4
        )

    # -- staging ---------------------------------------------------------------------------
    def stage(
        self,
        path: str | os.PathLike[str],
        *,
        reader: str = AUTO,
        assets: Iterable[str | os.PathLike[str]] = (),
    ) -> StagedEntry:
        """Stage a notebook file for execution (re-staging updates its reader and assets).

        :raises NotebookReadError: the file cannot be read as a notebook.
        :raises ArtefactError: an asset is outside the notebook's folder.
        """
        read_notebook(path, reader)  # refuse what `execute` could never run
        folder = Path(path).absolute().parent
        rels = []
        for item in assets:
            rel = relative_inside(item, folder)
            if not (folder / rel).exists():
                raise ArtefactError(f"Artifact Error: asset '{item}' does not exist")
            rels.append(rel)
        uri = self.uri_for(path)
        m = self.models
        with self.db.write():
            row = m.StagedRecord.get_or_none(uri=uri)
            if row is None:
                row = m.StagedRecord.create(
                    uri=uri, reader=reader, assets=json.dumps(sorted(rels)), created=time.time()
                )
            else:
                row.reader = reader
                row.assets = json.dumps(sorted(set(json.loads(row.assets)) | set(rels)))
                row.save()
            return StagedEntry.from_row(row)

    def list_staged(self) -> list[StagedEntry]:
        m = self.models
        with self.db.read():
            return [
                StagedEntry.from_row(r) for r in m.StagedRecord.select().order_by(m.StagedRecord.id)
            ]

    def get_staged(self, staged_id: int) -> StagedEntry:
        """:raises RecordNotFoundError: no staged notebook has this id."""
        with self.db.read():
            row = self.models.StagedRecord.get_or_none(id=int(staged_id))
        if row is None:
            raise RecordNotFoundError(
                f"no staged notebook with id {staged_id}; `nbcache stage list` shows the ids"
            )
        return StagedEntry.from_row(row)

    def get_staged_by_uri(self, uri: str) -> StagedEntry | None:
        with self.db.read():
            row = self.models.StagedRecord.get_or_none(uri=uri)
        return StagedEntry.from_row(row) if row else None

    def unstage(self, staged_id: int) -> StagedEntry:
        """:raises RecordNotFoundError: no staged notebook has this id."""
        m = self.models
        with self.db.write():
            row = m.StagedRecord.get_or_none(id=int(staged_id))
            if row is None:
                raise RecordNotFoundError(
                    f"no staged notebook with id {staged_id}; `nbcache stage list` shows the ids"
                )
            row.delete_instance()
        return StagedEntry.from_row(row)

    def unstage_uri(self, uri: str) -> StagedEntry:
        """Unstage by URI (a path is converted with :meth:`uri_for`).

        :raises RecordNotFoundError: nothing is staged under that URI.
        """
        m = self.models
        candidates = {uri, self.uri_for(uri)}
        with self.db.write():
            row = m.StagedRecord.get_or_none(m.StagedRecord.uri.in_(list(candidates)))
            if row is None:
                raise RecordNotFoundError(
                    f"no staged notebook with URI {uri}; `nbcache stage list` shows the URIs"
                )
            row.delete_instance()
        return StagedEntry.from_row(row)

    def set_staged_status(
        self, staged_id: int, status: str, *, error: str = "", traceback: str = ""
    ) -> None:
        """Record the outcome of the last execution of a staged notebook."""
        m = self.models
        with self.db.write():
            m.StagedRecord.update(
                status=status, error=error, traceback=traceback, executed=time.time()
            ).where(m.StagedRecord.id == int(staged_id)).execute()

    def staged_inputs(
        self, entry: StagedEntry, default_kernel: str = hashing.DEFAULT_KERNEL
    ) -> hashing.KeyInputs:
        """Key inputs of a staged notebook's current file.

        :raises NotebookReadError: the file is gone or unreadable.
        """
        nb = read_notebook(self.path_for(entry.uri), entry.reader)
        return hashing.key_inputs(nb, default_kernel=default_kernel)

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
        with self.db.write():
            records = [r.folder for r in m.CacheRecord.select(m.CacheRecord.folder)]
            failures = [f.folder for f in m.Failure.select(m.Failure.folder)]
            for model in (m.CacheRecord, m.Failure, m.StagedRecord, m.Source, m.FileStat):
                model.delete().execute()
        # only the folders whose rows were deleted: another process may be writing a new one
        self._remove_folders("records", records)
        self._remove_folders("failures", failures)


def validate_executed(nb: NotebookNode, source: str = "<notebook>") -> None:
    """Check that the code cells' execution counts go 1, 2, 3... in order.

    :raises ValidationError: naming the first cell out of order.
    """
    expected = 1
    for index, cell in hashing.code_cells(nb):
        if "skip-execution" in hashing.cell_tags(cell):
            continue  # never run, so no count; the next cell's count follows the previous
        count = cell.get("execution_count")
        if count != expected:
            raise ValidationError(
                f"{source}: cell {index + 1} has execution count {count}, expected {expected}: "
                "the notebook was not executed top to bottom in one go; re-run it "
                "(Restart & Run All) or pass --no-validate"
            )
        expected += 1

"""``CacheFolder``: the plumbing of a cache folder, under :class:`.store.NotebookCache`.

It owns the database connection (opened lazily, reopened after ``fork()``), the write
transaction that hands out a clean-up callback (diskcache's ``_transact`` pattern: folders
are removed only once the rows that pointed at them are gone for good), the per-notebook
execution locks, URIs, and the sweep of what killed writers left behind (run once, when the
cache is first used, so that a build that stores nothing still removes it).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypeVar

from .db import DB_NAME, READ_ONLY_HINT, Database
from .errors import CacheDatabaseError
from .files import remove_tree
from .folders import STALE_SECONDS, abandoned, make_folder, swept_names, write_folder
from .models import Models

if TYPE_CHECKING:
    from filelock import FileLock
    from nbformat import NotebookNode

#: ``cleanup(folder)``: remove this folder once the transaction has committed
Cleanup = Callable[[Path], None]
_C = TypeVar("_C", bound="CacheFolder")


class CacheFolder:
    """The database, transactions, locks, URIs and folders of one cache folder.

    :param path: the cache folder (created on first use).
    :param root: the folder that URIs are relative to, so a moved or cloned project still
        matches; defaults to the cache folder's parent.
    """

    def __init__(self, path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None):
        self.path = Path(path).absolute()
        self.root = Path(root).absolute() if root is not None else self.path.parent
        self._db: Database | None = None
        self._swept = False  # what killed writers left is removed once, on first use

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    # -- plumbing --------------------------------------------------------------------------
    @property
    def db(self) -> Database:
        """The database (opened on first use, when the folder is also swept)."""
        if self._db is None:
            make_folder(self.path)
            self._db = Database(self.path / DB_NAME)
        if not self._swept:
            self.sweep()
        return self._db

    @property
    def read_only(self) -> bool:
        """Whether the cache can only be read (it serves its records, stores nothing)."""
        self.db.connect()
        return self.db.read_only

    @property
    def models(self) -> Models:
        return self.db.models

    def close(self) -> None:
        """Close this process's database connection (reopened on next use)."""
        if self._db is not None:
            self._db.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _lock(self) -> FileLock:
        from filelock import FileLock  # here: a read-only check (a no-op) takes no lock

        make_folder(self.path)
        return FileLock(str(self.path / ".lock"))

    def execution_lock(self, uri: str) -> FileLock:
        """The lock a process holds while it executes the notebook ``uri`` into this cache.

        Builds sharing the cache take it so that a notebook stale in both executes once:
        the second finds the first one's record once the lock is free. One empty file per
        notebook, kept (a process waiting for it may hold it open).
        """
        from filelock import FileLock

        folder = self.path / "locks"
        make_folder(folder)
        name = hashlib.sha256(uri.encode("utf-8")).hexdigest()[:32]
        # not thread-local: the executing thread may not be the one that took it
        return FileLock(str(folder / f"{name}.lock"), thread_local=False)

    @contextmanager
    def _transact(self, new: Path | None = None) -> Iterator[Cleanup]:
        """A write transaction that hands out ``cleanup(folder)``.

        The folders given to ``cleanup`` are removed once the transaction has committed
        (never before: a rollback keeps the rows that point at them). ``new``, a folder
        written for the transaction, is removed if it rolls back or cannot begin.
        """
        doomed: list[Path] = []
        try:
            with self.db.write():
                yield doomed.append
        except BaseException:
            if new is not None:
                remove_tree(new)
            raise
        for folder in doomed:
            remove_tree(folder)

    def _folder(self, kind: str, name: str) -> Path:
        return self.path / kind / name

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

    # -- writing folders ---------------------------------------------------------------
    def _write_folder(self, kind: str, nb: NotebookNode, files: Mapping[str, Path]) -> Path:
        """Write a notebook (and files) into ``<kind>/<uuid>`` atomically; return the folder."""
        if self.read_only:
            raise CacheDatabaseError(f"{self.path}: cannot store {kind}; {READ_ONLY_HINT}")
        return write_folder(self.path / kind, nb, files)

    def sweep(self, older_than: float = STALE_SECONDS) -> list[Path]:
        """Remove what killed writers and recreated databases leave behind; return it.

        Under ``records/`` and ``failures/`` only: temporary folders (``.tmp-<uuid>``) and
        record folders (``<uuid>``) that no row references, untouched for ``older_than``
        seconds (see :func:`.folders.abandoned`); anything else found there is left alone.
        Runs once when the cache is first used; a read-only cache is left as it is.
        """
        self._swept = True
        if self.read_only:
            return []
        removed: list[Path] = []
        for kind, model in (
            ("records", self.models.CacheRecord),
            ("failures", self.models.Failure),
        ):
            names = swept_names(self.path / kind)
            if not names:
                continue
            with self.db.read():
                used = set(model.select(model.folder).scalars())
            for folder in abandoned(self.path / kind, names, used, older_than):
                remove_tree(folder)
                removed.append(folder)
        return removed

"""The SQLite database of a cache folder: connection, schema and migrations (tables: .models).

Concurrency rules (see docs/architecture): WAL journal, a busy timeout, and every write
transaction opened with ``BEGIN IMMEDIATE`` so that two writers never both read-then-write on
a stale snapshot. Schema creation and migrations run inside such a transaction too, so any
number of processes may open a new cache at once. A connection is never carried across
``fork()``: :class:`Database` reopens when it finds itself in another process.
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee as pw

from .errors import CacheDatabaseError
from .models import Models, bind_models

DB_NAME = "nbcache.db"
#: Marker stored in the meta table, to tell our databases from foreign SQLite files.
APPLICATION = "sphinx-nbcache"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000

#: Migrations from version N to N + 1, run in one IMMEDIATE transaction each.
MIGRATIONS: dict[int, Callable[[pw.SqliteDatabase], None]] = {}


class Database:
    """One cache database: lazily connected, fork-aware, with an IMMEDIATE write transaction."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = pw.SqliteDatabase(
            None,
            pragmas=(
                ("busy_timeout", BUSY_TIMEOUT_MS),
                # journal_mode=wal is set in _ensure_schema, once the file is known to be ours
                ("synchronous", "normal"),
                ("foreign_keys", 1),
            ),
            lock_type="IMMEDIATE",
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        self.models: Models = bind_models(self._db)
        self._pid: int | None = None
        self._ready = False
        #: opened read-only, because the folder or the file cannot be written (see connect)
        self.read_only = False
        #: inside :meth:`snapshot`'s read transaction
        self._snapshot = False

    # -- connection ------------------------------------------------------------------------
    def connect(self) -> pw.SqliteDatabase:
        """Open the connection (and create or upgrade the schema) if needed; return it."""
        if self._pid is not None and self._pid != os.getpid():
            # inherited through fork(): never touch the parent's connection, open our own
            self._db = _reinit_after_fork(self._db, self.path)
            self._pid = None
        if self._pid is None:
            _refuse_truncated(self.path)
            self.read_only = self.path.is_file() and _read_only(self.path)
            if self.read_only:
                # serve what it holds: WAL needs a writable -shm beside it, which a read-only
                # folder cannot give; immutable=1 reads the file as it is, without locks
                uri = "file:" + urllib.parse.quote(str(self.path)) + "?mode=ro&immutable=1"
                self._db.init(uri, uri=True)
            else:
                self._db.init(str(self.path))
            try:
                with _translate(self.path):
                    self._db.connect(reuse_if_open=True)
            except CacheDatabaseError:
                self._db.close()
                raise
            self._pid = os.getpid()
        if not self._ready:
            try:
                self._ensure_schema()
            except CacheDatabaseError:
                self.close()  # hold nothing open on a file we refuse
                raise
            self._ready = True
        return self._db

    def close(self) -> None:
        """Close the connection of this process (safe to call twice)."""
        if self._pid == os.getpid() and not self._db.is_closed():
            self._db.close()
        self._pid = None
        self._snapshot = False

    @contextmanager
    def write(self) -> Iterator[pw.SqliteDatabase]:
        """A ``BEGIN IMMEDIATE`` transaction: commit on success, roll back on error.

        :raises CacheDatabaseError: the cache is read-only.
        """
        db = self.connect()
        if self.read_only:
            raise CacheDatabaseError(f"{self.path}: cannot store anything; {READ_ONLY_HINT}")
        if not self._snapshot:
            with _translate(self.path), db.atomic():
                yield db
            return
        # inside a snapshot: a read transaction cannot become a write one in WAL once another
        # process has committed (SQLite answers BUSY at once), so end it (it changed nothing),
        # write in an IMMEDIATE transaction of its own, and read on in a new snapshot
        with _translate(self.path):
            db.execute_sql("COMMIT")
        try:
            with _translate(self.path), db.atomic():
                yield db
        finally:
            with _translate(self.path):
                db.execute_sql("BEGIN DEFERRED")

    @contextmanager
    def snapshot(self) -> Iterator[pw.SqliteDatabase]:
        """One read transaction for many reads (a no-op build's checks), instead of one per
        statement; nested snapshots join it, and a :meth:`write` inside ends it and starts
        another (so a write never waits on, nor upgrades, a read lock).
        """
        db = self.connect()
        if self._snapshot or db.in_transaction():
            yield db
            return
        with _translate(self.path):
            db.execute_sql("BEGIN DEFERRED")
        self._snapshot = True
        try:
            with _translate(self.path):
                yield db
        finally:
            self._snapshot = False
            if not db.is_closed():
                with _translate(self.path):
                    db.execute_sql("COMMIT")

    @contextmanager
    def read(self) -> Iterator[pw.SqliteDatabase]:
        """Reads, with low-level errors translated into :class:`CacheDatabaseError`."""
        db = self.connect()
        with _translate(self.path):
            yield db

    # -- schema ----------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        if self.read_only:
            self._check_schema_read_only()
            return
        if not self._schema_current():
            # created, migrated or refused in one IMMEDIATE transaction; a cache already at
            # this version (every build but the first) needs no write lock to be opened
            self._check_schema()
        # WAL only now: a foreign database we refused must not be converted. The mode is
        # persistent, so once set there is nothing to do; it cannot run inside a transaction.
        with _translate(self.path):
            if self._db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            # the switch needs the database to itself. When a process that opened the new
            # cache at the same moment is writing to it, SQLite answers at once, without its
            # busy handler (waiting would deadlock: we hold a shared lock): "locked", or the
            # old mode unchanged. Let go, and try again as a write would wait.
            deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
            while True:
                try:
                    mode = self._db.execute_sql("PRAGMA journal_mode=wal").fetchone()[0]
                except pw.OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
                    mode = "locked"
                if mode == "wal":
                    return
                if time.monotonic() > deadline:
                    raise CacheDatabaseError(
                        f"{self.path}: database error (journal mode {mode}, not wal); {_BUSY}"
                    )
                time.sleep(0.01)

    def _schema_current(self) -> bool:
        """Whether the database is ours, at this schema version, with every table and WAL:
        read without a transaction, so that opening a ready cache writes nothing."""
        m = self.models
        with _translate(self.path):
            tables = set(self._db.get_tables())
            if "meta" not in tables:
                return False
            meta = {row.key: row.value for row in m.Meta.select()}
            mode = self._db.execute_sql("PRAGMA journal_mode").fetchone()[0]
        return (
            meta.get("application") == APPLICATION
            and meta.get("schema_version") == str(SCHEMA_VERSION)
            and not {model._meta.table_name for model in m.all} - tables
            and mode == "wal"
        )

    def _check_schema_read_only(self) -> None:
        """The checks of :meth:`_check_schema`, with nothing created or migrated."""
        m = self.models
        with _translate(self.path):
            tables = set(self._db.get_tables())
            meta = {row.key: row.value for row in m.Meta.select()} if "meta" in tables else {}
        if meta.get("application") != APPLICATION:
            raise CacheDatabaseError(
                f"{self.path}: is not a sphinx-nbcache cache (and is read-only); "
                "choose another cache folder"
            )
        version = int(meta.get("schema_version", "0"))
        missing = {model._meta.table_name for model in m.all} - tables
        if version != SCHEMA_VERSION or missing:
            raise CacheDatabaseError(
                f"{self.path}: has schema {version}, this sphinx-nbcache reads "
                f"{SCHEMA_VERSION}, and cannot be upgraded; {READ_ONLY_HINT}"
            )

    def _check_schema(self) -> None:
        m = self.models
        with _translate(self.path), self._db.atomic():
            tables = set(self._db.get_tables())
            if not tables:
                self._db.create_tables(m.all, safe=True)
                m.Meta.insert_many(
                    [
                        {"key": "application", "value": APPLICATION},
                        {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                        {"key": "created", "value": repr(time.time())},
                    ]
                ).on_conflict_ignore().execute()
                return
            if "meta" not in tables:
                raise CacheDatabaseError(
                    f"{self.path}: is an SQLite database of another program, not a "
                    "sphinx-nbcache cache; choose another cache folder or run `nbcache clear`"
                )
            meta = {row.key: row.value for row in m.Meta.select()}
            if meta.get("application") != APPLICATION:
                raise CacheDatabaseError(
                    f"{self.path}: is not a sphinx-nbcache cache; "
                    "choose another cache folder or run `nbcache clear`"
                )
            version = int(meta.get("schema_version", "0"))
            if version > SCHEMA_VERSION:
                raise CacheDatabaseError(
                    f"{self.path}: was written by a newer sphinx-nbcache (schema {version}, "
                    f"this one reads up to {SCHEMA_VERSION}); upgrade sphinx-nbcache or run "
                    "`nbcache clear`"
                )
            while version < SCHEMA_VERSION:
                migrate = MIGRATIONS.get(version)
                if migrate is None:
                    raise CacheDatabaseError(
                        f"{self.path}: schema {version} cannot be upgraded; run `nbcache clear`"
                    )
                migrate(self._db)
                version += 1
                m.Meta.replace(key="schema_version", value=str(version)).execute()
            # tables added without a version bump (none yet) would be created here
            self._db.create_tables(m.all, safe=True)


def _reinit_after_fork(old: pw.SqliteDatabase, path: Path) -> pw.SqliteDatabase:
    # Drop the inherited state without closing the parent's sqlite handle from the child.
    old._state.reset()  # type: ignore[attr-defined]
    return old


#: a 0-byte database this old is not one being created by another process: it was truncated
EMPTY_GRACE_SECONDS = 60


def _refuse_truncated(path: Path) -> None:
    """Refuse a database file left empty (disk full, a copy cut short, ``> nbcache.db``).

    SQLite would take it for a new database and the records beside it would be lost for good.
    A process that is creating the cache holds such a file only for a moment, hence the age.
    """
    try:
        st = path.stat()
    except OSError:
        return
    wal = path.with_name(path.name + "-wal")
    if st.st_size or (wal.exists() and wal.stat().st_size):
        return
    if time.time() - st.st_mtime < EMPTY_GRACE_SECONDS:
        return
    raise CacheDatabaseError(
        f"{path}: the database file is empty (0 bytes; truncated?), so the records of this "
        "cache cannot be found; restore it from a copy, or run `nbcache clear` to start afresh"
    )


READ_ONLY_HINT = (
    "the cache is read-only (its folder or database cannot be written); make it "
    "writable, or set nbcache_path to a writable copy of it"
)
_BUSY = "another process holds the cache for too long; try again"


def _read_only(path: Path) -> bool:
    """Whether the database or its folder cannot be written (also on a read-only mount,
    which ``os.access`` reports even to root)."""
    folder = path.parent
    return (folder.exists() and not os.access(folder, os.W_OK)) or (
        path.exists() and not os.access(path, os.W_OK)
    )


@contextmanager
def _translate(path: Path) -> Iterator[None]:
    """Turn SQLite errors into one-line messages that say what to do."""
    try:
        yield
    except CacheDatabaseError:
        raise
    except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            hint = _BUSY
        elif "readonly" in text or "read-only" in text or _read_only(path):
            # never "damaged" for these: `nbcache clear` would wipe a healthy cache
            hint = READ_ONLY_HINT
        else:
            hint = "the cache database is damaged; run `nbcache clear` to start afresh"
        raise CacheDatabaseError(f"{path}: database error ({text}); {hint}") from None
    except pw.InterfaceError as exc:
        raise CacheDatabaseError(f"{path}: database error ({exc})") from None

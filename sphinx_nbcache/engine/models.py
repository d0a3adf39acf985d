"""The tables of a cache database, as peewee models, and :class:`Models`, a set bound to one.

The classes here are the schema, bound to no database. :func:`bind_models` makes a subclass
of each bound to one database, so that two caches open in one process never share a
connection or state; :class:`Models` holds them under their names, typed, so that a typo in
``m.CacheRecord`` is caught by mypy rather than at run time. The JSON columns are text: the
views in :mod:`.records` parse them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TypeVar

import peewee as pw
from playhouse.sqlite_ext import AutoIncrementField


class _Base(pw.Model):
    class Meta:
        database = None  # bound by bind_models


class Meta(_Base):
    """What the file is: ``application`` (ours), ``schema_version``, ``created``."""

    key = pw.CharField(primary_key=True)
    value = pw.TextField()

    class Meta:
        table_name = "meta"


class Setting(_Base):
    """Settings of the cache (``cache_limit``)."""

    key = pw.CharField(primary_key=True)
    value = pw.TextField()

    class Meta:
        table_name = "settings"


class CacheRecord(_Base):
    """An executed notebook; its files are in ``records/<folder>``."""

    # AUTOINCREMENT: an id is never reused, so `cache show 3` never shows another notebook
    id = AutoIncrementField()
    hashkey = pw.CharField(unique=True)
    uri = pw.TextField(index=True)
    created = pw.FloatField()
    accessed = pw.FloatField(index=True)
    folder = pw.CharField()  # under records/, holds the notebook and its artefacts
    data = pw.TextField(default="{}")  # JSON: execution data
    artefacts = pw.TextField(default="[]")  # JSON: a list of relative POSIX paths
    inputs = pw.TextField(default="{}")  # JSON: KeyInputs, to explain staleness
    # JSON: what the run read ("dependencies" would shadow peewee's Model.dependencies())
    deps = pw.TextField(column_name="dependencies", default="{}")

    class Meta:
        table_name = "cache_records"


class Failure(_Base):
    """The last failed execution of some inputs; its notebook is in ``failures/<folder>``."""

    hashkey = pw.CharField(unique=True)
    uri = pw.TextField(index=True)
    created = pw.FloatField()
    folder = pw.CharField()  # the partial notebook, outputs up to the failure
    error = pw.TextField()  # one-line summary
    traceback = pw.TextField(default="")
    cell_index = pw.IntegerField(null=True)
    data = pw.TextField(default="{}")

    class Meta:
        table_name = "failures"


class StagedRecord(_Base):
    """A notebook staged for ``nbcache execute``."""

    id = AutoIncrementField()
    uri = pw.TextField(unique=True)
    reader = pw.CharField(default="auto")
    assets = pw.TextField(default="[]")  # JSON: a list of relative POSIX paths
    created = pw.FloatField()
    status = pw.CharField(default="staged")  # staged | executed | failed
    error = pw.TextField(default="")
    traceback = pw.TextField(default="")
    executed = pw.FloatField(null=True)

    class Meta:
        table_name = "staged_records"


class Source(_Base):
    """The inputs last cached for each URI; outlives eviction, to explain staleness."""

    uri = pw.TextField(primary_key=True)
    hashkey = pw.CharField()
    inputs = pw.TextField(default="{}")
    updated = pw.FloatField()

    class Meta:
        table_name = "sources"


class FileStat(_Base):
    """Content hashes of dependency files, re-hashed only when size or mtime change."""

    path = pw.TextField(primary_key=True)
    size = pw.IntegerField()
    mtime_ns = pw.IntegerField()
    sha256 = pw.CharField()

    class Meta:
        table_name = "file_stats"


@dataclass(frozen=True)
class Models:
    """The model classes bound to one database, one attribute per table."""

    Meta: type[Meta]
    Setting: type[Setting]
    CacheRecord: type[CacheRecord]
    Failure: type[Failure]
    StagedRecord: type[StagedRecord]
    Source: type[Source]
    FileStat: type[FileStat]

    @property
    def all(self) -> list[type[pw.Model]]:
        """Every table, in creation order."""
        return [getattr(self, f.name) for f in fields(self)]


_M = TypeVar("_M", bound=_Base)


def _bound(model: type[_M], db: pw.Database) -> type[_M]:
    # the schema's class name: peewee names the indexes after it (cacherecord_hashkey...)
    options = {"database": db, "table_name": model._meta.table_name}
    return type(model.__name__, (model,), {"Meta": type("Meta", (), options)})


def bind_models(db: pw.Database) -> Models:
    """Subclasses of the schema's models bound to ``db``: a set per database, nothing shared."""
    return Models(
        Meta=_bound(Meta, db),
        Setting=_bound(Setting, db),
        CacheRecord=_bound(CacheRecord, db),
        Failure=_bound(Failure, db),
        StagedRecord=_bound(StagedRecord, db),
        Source=_bound(Source, db),
        FileStat=_bound(FileStat, db),
    )

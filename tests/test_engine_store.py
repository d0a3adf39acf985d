"""The store: records, artefacts, failures, staging and the SQLite database, on real files."""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbformat import v4

from sphinx_nbcache.engine import (
    ArtefactError,
    CacheDatabaseError,
    NbCacheError,
    NotebookCache,
    NotebookReadError,
    RecordNotFoundError,
    ValidationError,
    key_inputs,
    notebook_key,
)
from sphinx_nbcache.engine import db as db_module
from sphinx_nbcache.engine import store as store_module


def executed_nb(*sources: str, counts: list[int | None] | None = None) -> nbformat.NotebookNode:
    """A notebook as it looks after a run: counts 1, 2, 3... and one output per cell."""
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells.append(v4.new_markdown_cell("# A notebook"))
    for n, source in enumerate(sources, start=1):
        count = counts[n - 1] if counts is not None else n
        cell = v4.new_code_cell(source, execution_count=count)
        cell.outputs = [v4.new_output("stream", name="stdout", text=f"{source}\n")]
        nb.cells.append(cell)
    return nb


@pytest.fixture
def cache(tmp_path: Path) -> NotebookCache:
    with NotebookCache(tmp_path / "cache", root=tmp_path) as c:
        yield c


def folders_on_disk(cache: NotebookCache, kind: str = "records") -> set[str]:
    base = cache.path / kind
    return set(os.listdir(base)) if base.exists() else set()


def assert_consistent(cache: NotebookCache) -> None:
    """Every row has its folder (with its notebook and artefacts) and every folder a row."""
    records = cache.list_records()
    assert folders_on_disk(cache) == {r.folder for r in records}
    for record in records:
        assert cache.notebook_path(record).is_file()
        for rel in record.artefacts:
            assert cache.artefact_path(record, rel).is_file()
    assert folders_on_disk(cache, "failures") == {f.folder for f in cache.list_failures()}


# -- records ---------------------------------------------------------------------------------
def test_add_lookup_match_get_remove(cache: NotebookCache) -> None:
    nb = executed_nb("x = 1", "print(x)")
    key = notebook_key(nb)
    assert cache.lookup(key) is None
    assert cache.match(key) is None

    entry = cache.add_notebook(nb, "docs/a.ipynb", data={"seconds": 1.5})
    assert entry.hashkey == key
    assert entry.uri == "docs/a.ipynb"
    assert entry.data == {"seconds": 1.5}
    assert entry.inputs == key_inputs(nb).to_json()
    assert cache.lookup(key) == entry
    assert cache.get(entry.id) == entry
    assert cache.lookup_many([key, "0" * 64]) == {key: entry}
    assert cache.load_notebook(entry) == nb
    assert cache.load_notebook(entry.id).cells[1].outputs[0].text == "x = 1\n"

    matched = cache.match(key)
    assert matched is not None and matched.id == entry.id
    assert cache.lookup(key).accessed >= entry.accessed

    assert cache.remove(entry.id).id == entry.id
    assert cache.lookup(key) is None
    assert cache.list_records() == []
    assert folders_on_disk(cache) == set()
    with pytest.raises(RecordNotFoundError, match=f"no cache record with id {entry.id}"):
        cache.get(entry.id)
    with pytest.raises(KeyError):  # also a KeyError, for callers that expect one
        cache.remove(entry.id)


def test_add_file_and_uri_relative_to_root(tmp_path: Path, cache: NotebookCache) -> None:
    path = tmp_path / "docs" / "nb.ipynb"
    path.parent.mkdir()
    nbformat.write(executed_nb("1 + 1"), path)
    entry = cache.add_file(path)
    assert entry.uri == "docs/nb.ipynb"
    assert cache.path_for(entry.uri) == path


def test_list_records_latest_only(cache: NotebookCache) -> None:
    a1 = cache.add_notebook(executed_nb("a = 1"), "a.ipynb")
    b = cache.add_notebook(executed_nb("b = 1"), "b.ipynb")
    a2 = cache.add_notebook(executed_nb("a = 2"), "a.ipynb")
    assert [r.id for r in cache.list_records()] == [a1.id, b.id, a2.id]
    assert [r.id for r in cache.list_records(latest_only=True)] == [b.id, a2.id]


def test_readding_the_same_key_replaces_the_record_and_its_files(
    tmp_path: Path, cache: NotebookCache
) -> None:
    art = tmp_path / "old.txt"
    art.write_text("old")
    first = cache.add_notebook(executed_nb("x = 1"), "a.ipynb", artefacts={"old.txt": art})
    new = tmp_path / "new.txt"
    new.write_text("new")
    second = cache.add_notebook(executed_nb("x = 1"), "b.ipynb", artefacts={"new.txt": new})
    assert second.hashkey == first.hashkey
    assert [r.id for r in cache.list_records()] == [second.id]
    assert second.uri == "b.ipynb"
    assert second.artefacts == ("new.txt",)
    assert not (cache.path / "records" / first.folder).exists()
    assert folders_on_disk(cache) == {second.folder}


# -- artefacts --------------------------------------------------------------------------------
def notebook_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "out" / "deep").mkdir(parents=True)
    nbformat.write(executed_nb("x = 1"), folder / "nb.ipynb")
    (folder / "out" / "table.csv").write_text("a,b\n1,2\n")
    (folder / "out" / "deep" / "plot.bin").write_bytes(bytes(range(256)))
    return folder


def test_artefacts_are_stored_and_readable(tmp_path: Path, cache: NotebookCache) -> None:
    folder = notebook_folder(tmp_path)
    entry = cache.add_file(
        folder / "nb.ipynb",
        artefacts=[folder / "out" / "table.csv", "out/deep/plot.bin"],
    )
    assert entry.artefacts == ("out/deep/plot.bin", "out/table.csv")
    stored = cache.artefact_path(entry, "out/table.csv")
    assert stored.read_text() == "a,b\n1,2\n"
    assert cache.artefact_path(entry.id, "out/deep/plot.bin").read_bytes() == bytes(range(256))
    assert stored.is_relative_to(cache.path / "records" / entry.folder)
    # stored copies, not links: changing the original changes nothing
    (folder / "out" / "table.csv").write_text("changed")
    assert stored.read_text() == "a,b\n1,2\n"
    with pytest.raises(ArtefactError, match=r"no artefact 'nope\.csv'"):
        cache.artefact_path(entry, "nope.csv")
    with pytest.raises(ArtefactError):
        cache.artefact_path(entry, "../../nbcache.db")


def test_artefact_outside_the_folder_via_dotdot_is_refused(
    tmp_path: Path, cache: NotebookCache
) -> None:
    folder = notebook_folder(tmp_path)
    (tmp_path / "secret.txt").write_text("secret")
    with pytest.raises(ArtefactError, match="not in folder"):
        cache.add_file(folder / "nb.ipynb", artefacts=["out/table.csv", "../secret.txt"])
    with pytest.raises(ArtefactError, match="not in folder"):
        cache.add_file(folder / "nb.ipynb", artefacts=[folder / "out" / ".." / ".." / "secret.txt"])
    with pytest.raises(ArtefactError):
        cache.add_notebook(
            executed_nb("x = 1"), "nb.ipynb", artefacts={"../secret.txt": tmp_path / "secret.txt"}
        )
    assert cache.list_records() == []
    assert folders_on_disk(cache) == set()


def test_artefact_symlink_leaving_the_folder_is_refused(
    tmp_path: Path, cache: NotebookCache
) -> None:
    folder = notebook_folder(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (folder / "link.txt").symlink_to(outside / "secret.txt")
    (folder / "linkdir").symlink_to(outside, target_is_directory=True)
    for artefact in ["link.txt", "linkdir/secret.txt", folder / "linkdir" / "secret.txt"]:
        with pytest.raises(ArtefactError, match="not in folder"):
            cache.add_file(folder / "nb.ipynb", artefacts=["out/table.csv", artefact])
    assert cache.list_records() == []
    assert folders_on_disk(cache) == set()


def test_artefact_that_is_not_a_file_is_refused(tmp_path: Path, cache: NotebookCache) -> None:
    folder = notebook_folder(tmp_path)
    for artefact in ["out", "missing.csv"]:
        with pytest.raises(ArtefactError):
            cache.add_file(folder / "nb.ipynb", artefacts=[artefact])
    assert cache.list_records() == []
    assert folders_on_disk(cache) == set()


# -- eviction ---------------------------------------------------------------------------------
def add_numbered(cache: NotebookCache, n: int):
    return cache.add_notebook(executed_nb(f"x = {n}"), f"nb{n}.ipynb")


def test_cache_limit_evicts_least_recently_accessed(cache: NotebookCache) -> None:
    cache.cache_limit = 3
    assert cache.cache_limit == 3
    e = [add_numbered(cache, n) for n in range(3)]
    assert len(cache.list_records()) == 3
    # a match refreshes record 0: record 1 is now the least recently accessed
    assert cache.match(e[0].hashkey) is not None
    e.append(add_numbered(cache, 3))
    assert {r.id for r in cache.list_records()} == {e[0].id, e[2].id, e[3].id}
    e.append(add_numbered(cache, 4))
    assert {r.id for r in cache.list_records()} == {e[0].id, e[3].id, e[4].id}
    assert_consistent(cache)
    # lowering the limit evicts at once
    cache.cache_limit = 1
    assert [r.id for r in cache.list_records()] == [e[4].id]
    assert_consistent(cache)
    with pytest.raises(NbCacheError, match="at least 1"):
        cache.cache_limit = 0


def test_lookup_does_not_refresh(cache: NotebookCache) -> None:
    cache.cache_limit = 2
    first, second = add_numbered(cache, 0), add_numbered(cache, 1)
    assert cache.lookup(first.hashkey) is not None
    assert cache.lookup_many([first.hashkey]) != {}
    third = add_numbered(cache, 2)
    assert {r.id for r in cache.list_records()} == {second.id, third.id}


def test_eviction_never_removes_the_record_just_added(
    cache: NotebookCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.cache_limit = 1
    old = add_numbered(cache, 0)
    # a clock set back (NTP, a VM restored) gives the new record the oldest access time
    monkeypatch.setattr(store_module, "time", SimpleNamespace(time=lambda: 1.0))
    new = add_numbered(cache, 1)
    assert new.accessed < old.accessed
    assert [r.id for r in cache.list_records()] == [new.id]
    assert_consistent(cache)


# -- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize("counts", [[2, 1], [1, 3], [None, None], [1, 1], [0, 1]])
def test_validate_refuses_counts_out_of_order(cache: NotebookCache, counts: list) -> None:
    nb = executed_nb("a = 1", "b = 2", counts=counts)
    with pytest.raises(ValidationError, match="execution count"):
        cache.add_notebook(nb, "bad.ipynb")
    assert cache.list_records() == []
    assert folders_on_disk(cache) == set()
    assert cache.add_notebook(nb, "bad.ipynb", validate=False).uri == "bad.ipynb"


def test_validate_ignores_empty_code_cells(cache: NotebookCache) -> None:
    nb = executed_nb("a = 1", "b = 2")
    nb.cells.insert(2, v4.new_code_cell(""))  # never executed: no count
    assert cache.add_notebook(nb, "ok.ipynb").uri == "ok.ipynb"


# -- the files always match the rows ----------------------------------------------------------
def test_rows_and_folders_stay_in_step(tmp_path: Path, cache: NotebookCache) -> None:
    cache.cache_limit = 4
    art = tmp_path / "a.txt"
    art.write_text("a")
    for n in range(10):
        cache.add_notebook(executed_nb(f"x = {n % 6}"), f"nb{n}.ipynb", artefacts={"a.txt": art})
        assert_consistent(cache)
    cache.remove(cache.list_records()[0].id)
    cache.record_failure("k" * 64, "f.ipynb", executed_nb("1/0"), error="ZeroDivisionError")
    assert_consistent(cache)
    assert len(cache.list_records()) == 3
    assert not list((cache.path / "records").glob(".tmp-*"))


def test_clear(tmp_path: Path, cache: NotebookCache) -> None:
    add_numbered(cache, 0)
    cache.record_failure("k" * 64, "f.ipynb", executed_nb("1/0"), error="E")
    path = tmp_path / "s.ipynb"
    nbformat.write(executed_nb("x = 1"), path)
    cache.stage(path)
    cache.clear()
    assert cache.list_records() == []
    assert cache.list_failures() == []
    assert cache.list_staged() == []
    assert folders_on_disk(cache) == set()
    assert folders_on_disk(cache, "failures") == set()
    # usable again at once
    assert add_numbered(cache, 1).uri == "nb1.ipynb"


def test_clear_keeps_other_open_connections_working(tmp_path: Path, cache: NotebookCache) -> None:
    other = NotebookCache(cache.path)  # another process's view, connection open
    add_numbered(other, 0)
    cache.clear()
    assert other.list_records() == []
    # the database file was emptied, not replaced: what one adds, the other sees
    added = add_numbered(other, 1)
    assert [r.id for r in cache.list_records()] == [added.id]
    other.close()


def test_clear_removes_a_damaged_database(tmp_path: Path) -> None:
    folder = tmp_path / "damaged"
    folder.mkdir()
    (folder / "nbcache.db").write_bytes(b"garbage" * 50)
    cache = NotebookCache(folder)
    with pytest.raises(CacheDatabaseError):
        cache.list_records()
    cache.clear()
    assert cache.list_records() == []


# -- failures ---------------------------------------------------------------------------------
def test_failures_recorded_replaced_and_superseded(cache: NotebookCache) -> None:
    nb = executed_nb("x = 1", "1 / 0")
    key = notebook_key(nb)
    assert cache.lookup_failure(key) is None
    first = cache.record_failure(
        key,
        "f.ipynb",
        nb,
        error="cell 3: ZeroDivisionError: division by zero",
        traceback="Traceback...",
        cell_index=2,
        data={"seconds": 0.5},
    )
    assert cache.lookup_failure(key) == first
    assert (first.cell_index, first.data) == (2, {"seconds": 0.5})
    assert cache.load_failure_notebook(first) == nb
    assert pickle.loads(pickle.dumps(first)) == first

    second = cache.record_failure(key, "f.ipynb", nb, error="again")
    assert cache.list_failures() == [second]
    assert folders_on_disk(cache, "failures") == {second.folder}

    other = cache.record_failure("o" * 64, "g.ipynb", nb, error="other")
    # a success with the same key supersedes the failure; the other failure stays
    cache.add_notebook(nb, "f.ipynb")
    assert cache.lookup_failure(key) is None
    assert cache.list_failures() == [other]
    assert_consistent(cache)
    cache.remove_failure(other.hashkey)
    cache.remove_failure(other.hashkey)  # already gone: fine
    assert cache.list_failures() == []
    assert_consistent(cache)


# -- staging ----------------------------------------------------------------------------------
def test_staging(tmp_path: Path, cache: NotebookCache) -> None:
    folder = tmp_path / "docs"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "in.csv").write_text("1\n")
    (folder / "cfg.json").write_text("{}")
    nb_path = folder / "nb.ipynb"
    nbformat.write(executed_nb("x = 1"), nb_path)
    md_path = folder / "page.md"
    md_path.write_text(
        "---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
        "```{code-cell}\nx = 1\n```\n"
    )

    staged = cache.stage(nb_path, assets=["data/in.csv"])
    assert (staged.uri, staged.assets, staged.status) == (
        "docs/nb.ipynb",
        ("data/in.csv",),
        "staged",
    )
    again = cache.stage(nb_path, assets=[folder / "cfg.json"])
    assert again.id == staged.id
    assert again.assets == ("cfg.json", "data/in.csv")
    md = cache.stage(md_path, reader="md:myst")
    assert [s.id for s in cache.list_staged()] == [staged.id, md.id]
    assert cache.get_staged(md.id).reader == "md:myst"
    assert cache.get_staged_by_uri("docs/page.md") == md
    assert cache.get_staged_by_uri("docs/nope.md") is None
    assert cache.staged_inputs(md).key() == notebook_key(executed_nb("x = 1"))

    cache.set_staged_status(md.id, "failed", error="boom", traceback="tb")
    failed = cache.get_staged(md.id)
    assert (failed.status, failed.error, failed.traceback) == ("failed", "boom", "tb")
    assert failed.executed is not None

    assert cache.unstage(staged.id).id == staged.id
    assert cache.unstage_uri(str(md_path)).id == md.id  # a path works as well as a URI
    assert cache.list_staged() == []
    with pytest.raises(RecordNotFoundError, match="no staged notebook with id"):
        cache.get_staged(staged.id)
    with pytest.raises(RecordNotFoundError):
        cache.unstage(staged.id)
    with pytest.raises(RecordNotFoundError):
        cache.unstage_uri("docs/nb.ipynb")


def test_staging_refuses_bad_input(tmp_path: Path, cache: NotebookCache) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(NotebookReadError):
        cache.stage(bad)
    good = tmp_path / "docs" / "nb.ipynb"
    good.parent.mkdir()
    nbformat.write(executed_nb("x = 1"), good)
    (tmp_path / "outside.csv").write_text("1")
    with pytest.raises(ArtefactError):
        cache.stage(good, assets=["../outside.csv"])
    with pytest.raises(ArtefactError, match="does not exist"):
        cache.stage(good, assets=["missing.csv"])
    assert cache.list_staged() == []


def _edit_column(cache: NotebookCache, table: str, column: str, value: str | None) -> None:
    """Edit the real database as a hand, another tool or an older writer would."""
    con = sqlite3.connect(cache.path / "nbcache.db")
    with con:
        con.execute(f"UPDATE {table} SET {column} = ?", (value,))
    con.close()


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ('["a.txt", "sub/b.txt"]', ("a.txt", "sub/b.txt")),
        ('"a.txt"', ("a.txt",)),  # one path as a JSON string: once ('a', '.', 't', ...)
        ("a.txt", ("a.txt",)),  # plain text, not JSON: once a JSONDecodeError
        ("null", ()),
        ("", ()),
        ("[5]", (5,)),  # kept, for the build to name as a damaged record
    ],
)
def test_the_artefacts_column_is_read_as_paths_never_as_letters(
    tmp_path: Path, cache: NotebookCache, stored: str, read: tuple
) -> None:
    art = tmp_path / "a.txt"
    art.write_text("a")
    entry = cache.add_notebook(executed_nb("x = 1"), "nb.ipynb", artefacts={"a.txt": art})
    assert entry.artefacts == ("a.txt",)
    _edit_column(cache, "cache_records", "artefacts", stored)
    assert cache.get(entry.id).artefacts == read
    assert [r.artefacts for r in cache.list_records()] == [read]


def test_restaging_keeps_assets_stored_as_one_path(tmp_path: Path, cache: NotebookCache) -> None:
    folder = tmp_path / "docs"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "in.csv").write_text("1\n")
    (folder / "cfg.json").write_text("{}")
    nb_path = folder / "nb.ipynb"
    nbformat.write(executed_nb("x = 1"), nb_path)
    cache.stage(nb_path, assets=["data/in.csv"])
    _edit_column(cache, "staged_records", "assets", '"data/in.csv"')
    again = cache.stage(nb_path, assets=["cfg.json"])
    assert again.assets == ("cfg.json", "data/in.csv")  # not "d", "a", "t", ...


def _abort_inserts(cache: NotebookCache, table: str) -> None:
    """A real SQLite error inside the store's write transaction, after its deletes."""
    con = sqlite3.connect(cache.path / "nbcache.db")
    with con:
        con.execute("DROP TRIGGER IF EXISTS refuse")
        con.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
    con.close()


def test_a_write_that_rolls_back_keeps_the_old_files_and_leaves_no_new_ones(
    cache: NotebookCache,
) -> None:
    nb = executed_nb("x = 1")
    old = cache.add_notebook(nb, "a.ipynb")
    failed = cache.record_failure("f" * 64, "f.ipynb", nb, error="E")
    _abort_inserts(cache, "cache_records")
    with pytest.raises(CacheDatabaseError, match="refused by the test"):
        cache.add_notebook(nb, "a.ipynb")  # deletes the old row, then fails to insert
    assert cache.list_records() == [old]
    assert folders_on_disk(cache) == {old.folder}  # the old folder kept, the new one gone
    assert cache.load_notebook(old.id) == nb

    _abort_inserts(cache, "failures")
    with pytest.raises(CacheDatabaseError, match="refused by the test"):
        cache.record_failure("f" * 64, "f.ipynb", nb, error="again")
    assert cache.list_failures() == [failed]
    assert folders_on_disk(cache, "failures") == {failed.folder}
    assert not list(cache.path.glob("*/.tmp-*"))


# -- the database -----------------------------------------------------------------------------
def test_new_cache_uses_wal(cache: NotebookCache) -> None:
    add_numbered(cache, 0)
    con = sqlite3.connect(cache.path / "nbcache.db")
    mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    meta = dict(con.execute("SELECT key, value FROM meta"))
    con.close()
    assert mode == "wal"
    assert meta["application"] == "sphinx-nbcache"
    assert meta["schema_version"] == str(db_module.SCHEMA_VERSION)


def test_corrupt_database_is_reported_and_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    garbage = bytes(range(256)) * 64
    (folder / "nbcache.db").write_bytes(garbage)
    cache = NotebookCache(folder)
    with pytest.raises(CacheDatabaseError, match="nbcache clear") as info:
        cache.list_records()
    assert "nbcache.db" in str(info.value)
    with pytest.raises(CacheDatabaseError):  # again: still an error, not a half-open state
        cache.lookup("0" * 64)
    cache.close()
    assert (folder / "nbcache.db").read_bytes() == garbage
    assert sorted(os.listdir(folder)) == ["nbcache.db"]
    # the advice works
    cache.clear()
    assert add_numbered(cache, 0).uri == "nb0.ipynb"


def test_foreign_sqlite_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    con = sqlite3.connect(folder / "nbcache.db")
    con.execute("CREATE TABLE people (name TEXT)")
    con.execute("INSERT INTO people VALUES ('ada')")
    con.commit()
    con.close()
    before = (folder / "nbcache.db").read_bytes()
    cache = NotebookCache(folder)
    with pytest.raises(CacheDatabaseError, match="another program"):
        cache.list_records()
    cache.close()
    assert (folder / "nbcache.db").read_bytes() == before  # e.g. not switched to WAL
    assert sorted(os.listdir(folder)) == ["nbcache.db"]


def test_sqlite_database_with_other_meta_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    con = sqlite3.connect(folder / "nbcache.db")
    con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    con.execute("INSERT INTO meta VALUES ('application', 'something-else')")
    con.commit()
    con.close()
    with pytest.raises(CacheDatabaseError, match="not a sphinx-nbcache cache"):
        NotebookCache(folder).list_records()


def set_schema_version(folder: Path, version: int) -> None:
    con = sqlite3.connect(folder / "nbcache.db")
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    con.commit()
    con.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    with NotebookCache(folder) as cache:
        add_numbered(cache, 0)
    set_schema_version(folder, 99)
    with pytest.raises(CacheDatabaseError, match="newer") as info:
        NotebookCache(folder).list_records()
    assert "schema 99" in str(info.value)


def test_older_schema_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    with NotebookCache(folder) as cache:
        kept = add_numbered(cache, 0)
    calls = []

    def migrate_1_to_2(database) -> None:
        calls.append(1)
        database.execute_sql("ALTER TABLE cache_records ADD COLUMN note TEXT DEFAULT ''")

    monkeypatch.setattr(db_module, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(db_module, "MIGRATIONS", {1: migrate_1_to_2})
    with NotebookCache(folder) as cache:
        assert cache.list_records() == [kept]
    with NotebookCache(folder) as cache:  # already upgraded: not again
        assert cache.lookup(kept.hashkey) == kept
    assert calls == [1]
    con = sqlite3.connect(folder / "nbcache.db")
    meta = dict(con.execute("SELECT key, value FROM meta"))
    columns = [row[1] for row in con.execute("PRAGMA table_info(cache_records)")]
    con.close()
    assert meta["schema_version"] == "2"
    assert "note" in columns


def test_older_schema_without_migration_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cache"
    with NotebookCache(folder) as cache:
        add_numbered(cache, 0)
    monkeypatch.setattr(db_module, "SCHEMA_VERSION", 2)
    with pytest.raises(CacheDatabaseError, match=r"cannot be upgraded.*nbcache clear"):
        NotebookCache(folder).list_records()


def test_database_error_pickles() -> None:
    error = CacheDatabaseError("x: broken; run `nbcache clear`")
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def _use_inherited_cache(cache: NotebookCache, queue) -> None:
    try:
        gc.collect()  # any inherited connection object is dropped here, in the child
        entry = add_numbered(cache, 1)
        queue.put(("ok", entry.id, len(cache.list_records())))
        cache.close()
        gc.collect()
    except BaseException as exc:
        queue.put(("error", repr(exc), 0))


def test_forked_child_opens_its_own_connection(cache: NotebookCache) -> None:
    first = add_numbered(cache, 0)  # the parent's connection is open when it forks
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_use_inherited_cache, args=(cache, queue))
    child.start()
    status, child_id, count = queue.get(timeout=30)
    child.join(30)
    assert (status, child.exitcode) == ("ok", 0), child_id
    assert count == 2
    # the parent's connection still works, and sees the child's write
    assert {r.id for r in cache.list_records()} == {first.id, child_id}
    third = add_numbered(cache, 2)
    assert cache.get(third.id).uri == "nb2.ipynb"
    assert_consistent(cache)

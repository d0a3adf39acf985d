"""Many processes writing one cache at once: no errors, no lost or orphaned records."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import traceback
from pathlib import Path

from nbformat import v4

from sphinx_nbcache.engine import NotebookCache

PROCESSES = 4
ADDS = 25
LIMIT = 20
TIMEOUT = 60
NEW_CACHES = 10


def _notebook(source: str):
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells.append(v4.new_code_cell(source, execution_count=1))
    return nb


def _add_many(cache_path: str, worker: int, barrier, queue) -> None:
    """In a child process: wait for the others, then add ``ADDS`` records one by one."""
    try:
        artefact = Path(cache_path).parent / f"artefact-{worker}.txt"
        artefact.write_text(str(worker))
        cache = NotebookCache(cache_path)
        barrier.wait(TIMEOUT)
        added = []
        for i in range(ADDS):
            entry = cache.add_notebook(
                _notebook(f"worker, i = {worker}, {i}"),
                f"w{worker}/nb{i}.ipynb",
                artefacts={"out.txt": artefact},
            )
            added.append((entry.id, entry.hashkey))
            if i % 5 == 0:  # readers interleave with the writers
                cache.list_records()
        cache.close()
        queue.put((worker, "ok", added))
    except BaseException:
        queue.put((worker, "error", traceback.format_exc()))


def _open_new(cache_path: str, worker: int, barrier, queue) -> None:
    """In a child process: open caches nobody has created yet, at the same time as others."""
    try:
        added = []
        for n in range(NEW_CACHES):  # the race is in the first moments of each: try it often
            barrier.wait(TIMEOUT)
            cache = NotebookCache(f"{cache_path}-{n}")
            entry = cache.add_notebook(_notebook(f"x = {worker}"), f"nb{worker}.ipynb")
            cache.close()
            added.append((n, entry.id))
        queue.put((worker, "ok", added))
    except BaseException:
        queue.put((worker, "error", traceback.format_exc()))


def run_processes(target, cache_path: Path, count: int) -> dict[int, list]:
    ctx = multiprocessing.get_context("fork")  # spawn would re-import nbformat: seconds each
    barrier = ctx.Barrier(count)
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(str(cache_path), n, barrier, queue)) for n in range(count)
    ]
    for proc in procs:
        proc.start()
    try:
        outcomes = [queue.get(timeout=TIMEOUT) for _ in procs]
    finally:
        for proc in procs:
            proc.join(TIMEOUT)
    errors = [detail for _, status, detail in outcomes if status != "ok"]
    assert not errors, "\n".join(errors)
    assert [proc.exitcode for proc in procs] == [0] * count
    return {worker: detail for worker, _, detail in outcomes}


def assert_rows_match_folders(cache: NotebookCache) -> None:
    rows = cache.list_records()
    on_disk = set(os.listdir(cache.path / "records"))
    assert not [name for name in on_disk if name.startswith(".tmp-")]
    assert on_disk == {row.folder for row in rows}
    for row in rows:
        assert cache.notebook_path(row).is_file()
        assert cache.artefact_path(row, "out.txt").is_file()


def test_concurrent_adds_with_a_small_limit(tmp_path: Path) -> None:
    cache_path = tmp_path / "cache"
    with NotebookCache(cache_path) as cache:
        cache.cache_limit = LIMIT  # closed again before the children start

    added = run_processes(_add_many, cache_path, PROCESSES)

    every = [item for items in added.values() for item in items]
    ids = [record_id for record_id, _ in every]
    assert len(every) == PROCESSES * ADDS
    assert len(set(ids)) == len(ids), "a record id was handed out twice"
    assert len({key for _, key in every}) == len(every)
    for items in added.values():  # each process's own adds commit in its own order
        assert [i for i, _ in items] == sorted(i for i, _ in items)

    with NotebookCache(cache_path) as cache:
        rows = cache.list_records()
        assert len(rows) == LIMIT
        assert_rows_match_folders(cache)
        # Writes are serialised (BEGIN IMMEDIATE), ids grow in commit order, and nothing reads
        # records here, so least-recently-accessed eviction must keep exactly the last LIMIT
        # commits: the LIMIT highest ids handed out, whichever processes they came from.
        assert sorted(row.id for row in rows) == sorted(ids)[-LIMIT:]
        by_id = sorted(rows, key=lambda row: row.id)
        assert [row.accessed for row in by_id] == sorted(row.accessed for row in by_id)


def test_concurrent_first_opening_of_a_new_cache(tmp_path: Path) -> None:
    count = 8
    added = run_processes(_open_new, tmp_path / "new-cache", count)
    for n in range(NEW_CACHES):
        cache_path = tmp_path / f"new-cache-{n}"
        with NotebookCache(cache_path) as cache:
            rows = cache.list_records()
        ids = sorted(i for items in added.values() for m, i in items if m == n)
        assert sorted(row.id for row in rows) == ids
        assert len(rows) == count
        con = sqlite3.connect(cache_path / "nbcache.db")
        try:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            meta = dict(con.execute("SELECT key, value FROM meta"))
        finally:
            con.close()
        assert meta["application"] == "sphinx-nbcache"

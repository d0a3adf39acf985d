"""File hashes kept by (size, mtime): fast on a no-op build, never fooled by a same-tick edit."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.deps import RACY_SECONDS, FileHasher


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def stored_paths(cache: NotebookCache) -> set[str]:
    m = cache.models
    with cache.db.read():
        return {row.path for row in m.FileStat.select()}


def test_old_file_is_hashed_once_and_its_edit_seen(tmp_path: Path) -> None:
    cache = NotebookCache(tmp_path / "cache")
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    old = time.time() - 10 * RACY_SECONDS
    os.utime(data, (old, old))
    assert FileHasher(cache).hashes([data]) == {str(data): digest("a,b\n1,2\n")}
    assert stored_paths(cache) == {str(data)}
    # the stored stat answers: a file changed behind an unchanged size and mtime is not read
    data.write_text("a,b\n3,4\n")
    os.utime(data, (old, old))
    assert FileHasher(cache).hashes([data]) == {str(data): digest("a,b\n1,2\n")}
    # a real edit moves the mtime: seen
    later = old + 1
    os.utime(data, (later, later))
    assert FileHasher(cache).hashes([data]) == {str(data): digest("a,b\n3,4\n")}


def test_file_written_just_now_is_hashed_again(tmp_path: Path) -> None:
    # an edit within the same timestamp tick as the previous hash keeps size and mtime
    cache = NotebookCache(tmp_path / "cache")
    data = tmp_path / "data.csv"
    data.write_text("x=1\n")
    tick = data.stat().st_mtime_ns
    assert FileHasher(cache).hashes([data]) == {str(data): digest("x=1\n")}
    assert stored_paths(cache) == set()  # too recent to be trusted later
    data.write_text("x=2\n")
    os.utime(data, ns=(tick, tick))
    assert FileHasher(cache).hashes([data]) == {str(data): digest("x=2\n")}


def test_missing_file_hashes_to_none(tmp_path: Path) -> None:
    cache = NotebookCache(tmp_path / "cache")
    gone = tmp_path / "gone.txt"
    assert FileHasher(cache).hashes([gone]) == {str(gone): None}

"""Bundles and `nbcache export` / `nbcache import`: a round trip into a fresh cache keeps
every record whole; a damaged, forged or unsafe archive is refused and nothing is written."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from remoteutil import add_record, record_view, rewrite_bundle

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.bundle import (
    BundleError,
    bundle_bytes,
    bundle_from_entry,
    import_bundle,
    read_bundle,
)


def test_export_import_round_trip_into_a_fresh_cache(
    tmp_path: Path, cache_a: NotebookCache, cache_b: NotebookCache, nbcache
) -> None:
    one = add_record(cache_a, tmp_path, "one", "x = 1")
    two = add_record(cache_a, tmp_path, "two", "y = 2")
    archive = tmp_path / "cache.tar"
    result = nbcache("-p", cache_a.path, "export", archive)
    assert result.exit_code == 0, result.output
    assert "Exported 2 records" in result.output

    result = nbcache("-p", cache_b.path, "import", archive)
    assert result.exit_code == 0, result.output
    assert "Imported 2 records" in result.output
    imported = {e.hashkey: e for e in cache_b.list_records()}
    assert set(imported) == {one.hashkey, two.hashkey}
    for entry in (one, two):
        assert record_view(cache_b, imported[entry.hashkey]) == record_view(cache_a, entry)
    assert imported[one.hashkey].dependencies["files"] == {"data.csv": "ab" * 32}
    assert cache_b.lookup(one.hashkey) is not None  # found by key, as a build looks it up
    origin = imported[one.hashkey].data["origin"]
    assert origin == {"from": str(archive), "created": one.created}


def test_export_patterns_choose_records(
    tmp_path: Path, cache_a: NotebookCache, cache_b: NotebookCache, nbcache
) -> None:
    add_record(cache_a, tmp_path, "one", "x = 1")
    two = add_record(cache_a, tmp_path, "two", "y = 2")
    archive = tmp_path / "part.tar"
    assert "Exported 1 record " in nbcache("-p", cache_a.path, "export", archive, "*/two*").output
    nbcache("-p", cache_b.path, "import", archive)
    assert [e.hashkey for e in cache_b.list_records()] == [two.hashkey]


def test_import_never_replaces_a_newer_record(
    tmp_path: Path, cache_a: NotebookCache, cache_b: NotebookCache, nbcache
) -> None:
    old = add_record(cache_a, tmp_path, "one", "x = 1")
    archive = tmp_path / "old.tar"
    nbcache("-p", cache_a.path, "export", archive)
    # B executed the same notebook after A: its record (other outputs) is newer
    newer = add_record(cache_b, tmp_path / "b-src", "one", "x = 1")
    assert newer.hashkey == old.hashkey and newer.created > old.created
    before = record_view(cache_b, newer)

    result = nbcache("-p", cache_b.path, "import", archive)
    assert result.exit_code == 0, result.output
    assert "Imported 0 records" in result.output and "kept 1 newer" in result.output
    (kept,) = cache_b.list_records()
    assert kept.id == newer.id and record_view(cache_b, kept) == before


def test_a_copy_imported_later_is_no_newer_than_its_execution(
    tmp_path: Path, cache_a: NotebookCache, cache_b: NotebookCache, nbcache
) -> None:
    """X executes, A executes later, B imports X's copy later still: B's copy of the
    record is X's execution, older than A's (it keeps X's time as its own), and importing
    it into A keeps A's."""
    with NotebookCache(tmp_path / "x" / ".nbcache") as cache_x:
        first = add_record(cache_x, tmp_path / "x-src", "one", "x = 1")
        nbcache("-p", cache_x.path, "export", tmp_path / "x.tar")
    mine = add_record(cache_a, tmp_path, "one", "x = 1")
    nbcache("-p", cache_b.path, "import", tmp_path / "x.tar")
    (copy,) = cache_b.list_records()
    assert copy.created == first.created < mine.created
    assert copy.accessed > mine.created  # it was imported last: the last one evicted
    nbcache("-p", cache_b.path, "export", tmp_path / "b.tar")
    result = nbcache("-p", cache_a.path, "import", tmp_path / "b.tar")
    assert "Imported 0 records" in result.output
    assert [e.id for e in cache_a.list_records()] == [mine.id]


def test_import_replaces_an_older_record(
    tmp_path: Path, cache_a: NotebookCache, cache_b: NotebookCache
) -> None:
    add_record(cache_b, tmp_path / "b-src", "one", "x = 1")
    newer = add_record(cache_a, tmp_path, "one", "x = 1")
    entry, imported = import_bundle(cache_b, read_bundle(_bytes(cache_a, newer), "t"))
    assert imported and len(cache_b.list_records()) == 1
    assert cache_b.artefact_path(entry, "out.txt").read_text() == "result of one\n"


def _bytes(cache: NotebookCache, entry) -> bytes:
    return bundle_bytes(bundle_from_entry(cache, entry))


def _archive_of(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def _dotdot(members: dict, manifest: dict) -> None:
    blob = members.pop("artefacts/out.txt")
    members["artefacts/../../evil.txt"] = blob
    manifest["files"]["artefacts/../../evil.txt"] = manifest["files"].pop("artefacts/out.txt")
    arts = manifest["record"]["artefacts"]
    arts[arts.index("out.txt")] = "../../evil.txt"


def _bad_hash(members: dict, manifest: dict) -> None:
    members["artefacts/out.txt"] = b"tampered\n"


def _forged_key(members: dict, manifest: dict) -> None:
    manifest["record"]["inputs"]["extra"] = {"forged": True}  # its key no longer matches


def _absolute(members: dict, manifest: dict) -> None:
    members["artefacts//etc/passwd"] = b"x"
    manifest["files"]["artefacts//etc/passwd"] = {"sha256": "0" * 64, "size": 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_dotdot, "unsafe artefact path: Artifact Error: Path '../../evil.txt'"),
        (_bad_hash, "'artefacts/out.txt' does not match its SHA-256 in the manifest"),
        (_forged_key, "its key inputs hash to"),
        (_absolute, "unsafe artefact path"),
    ],
    ids=["dotdot", "bad-hash", "forged-key", "absolute"],
)
def test_a_bad_bundle_is_refused_and_nothing_is_written(
    tmp_path: Path, cache_a: NotebookCache, cache_b: NotebookCache, nbcache, change, message
) -> None:
    good = add_record(cache_a, tmp_path, "good", "g = 1")
    bad = add_record(cache_a, tmp_path, "bad", "b = 1")
    archive = _archive_of(
        tmp_path / "bad.tar",
        {
            f"{good.hashkey}.nbbundle": _bytes(cache_a, good),
            f"{bad.hashkey}.nbbundle": rewrite_bundle(_bytes(cache_a, bad), change),
        },
    )
    result = nbcache("-p", cache_b.path, "import", archive)
    assert result.exit_code == 1
    assert f"bad.tar: {bad.hashkey}.nbbundle: " in result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert cache_b.list_records() == []  # not even the good one before it
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "b" / "evil.txt").exists()


def test_a_symlink_member_is_refused(tmp_path: Path, cache_a: NotebookCache) -> None:
    entry = add_record(cache_a, tmp_path, "one", "x = 1")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        link = tarfile.TarInfo("artefacts/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(BundleError, match="'artefacts/link' is not a regular file"):
        read_bundle(raw.getvalue(), "x.nbbundle", expect_key=entry.hashkey)


def test_size_limit_refuses_a_large_bundle(tmp_path: Path, cache_a: NotebookCache) -> None:
    entry = add_record(cache_a, tmp_path, "one", "x = 1")
    data = _bytes(cache_a, entry)
    with pytest.raises(BundleError, match="over the bundle limit of 100 bytes"):
        read_bundle(data, "x.nbbundle", max_bytes=100)
    with pytest.raises(BundleError, match="over the bundle limit of 100 bytes"):
        bundle_from_entry(cache_a, entry, max_bytes=100)


def test_a_misplaced_bundle_is_refused(tmp_path: Path, cache_a: NotebookCache) -> None:
    entry = add_record(cache_a, tmp_path, "one", "x = 1")
    with pytest.raises(BundleError, match=f"holds key {entry.hashkey}, not {'0' * 64}"):
        read_bundle(_bytes(cache_a, entry), "x", expect_key="0" * 64)


def test_a_file_that_is_no_archive_is_a_clear_error(tmp_path: Path, nbcache) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all" * 100)
    result = nbcache("-p", tmp_path / "c", "import", junk)
    assert result.exit_code == 1
    assert "junk.tar: not a readable archive" in result.output

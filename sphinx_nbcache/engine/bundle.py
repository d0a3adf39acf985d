"""Portable bundles: one cache record (notebook, artefacts, dependencies) in one file.

A bundle is a gzip-compressed tar holding ``manifest.json``, ``notebook.ipynb`` and
``artefacts/<relative path>``. The manifest holds the record's row data (URI, creation time,
execution data, key inputs, dependency hashes), its key, and the SHA-256 and size of every
other part. A bundle is content-addressed: its key must be the hash of the key inputs it
carries, so a bundle cannot claim to be the result of other inputs than its own.

Reading a bundle checks everything before anything is written: only regular files, names
that are ``notebook.ipynb`` or a safe ``artefacts/`` path (no ``..``, no absolute path, no
link), exactly the parts the manifest lists, each matching its hash, and size limits. An
export archive (:func:`write_archive`) is a plain tar of bundles named ``<key>.nbbundle``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ArtefactError, NbCacheError
from .files import atomic_write_bytes, safe_join
from .folders import ARTEFACTS_DIR, NOTEBOOK_FILE
from .hashing import KeyInputs
from .records import CacheEntry
from .store import NotebookCache

FORMAT = "sphinx-nbcache-bundle"
VERSION = 1
MANIFEST = "manifest.json"
SUFFIX = ".nbbundle"
#: a bundle larger than this (uncompressed) is refused, on writing and on reading
MAX_BUNDLE_BYTES = 512 * 1024 * 1024
#: at most this many artefacts per bundle
MAX_PARTS = 10_000
#: the key of an imported record's ``data`` that says where it came from, and when it ran
ORIGIN = "origin"
_KEY = re.compile(r"[0-9a-f]{64}")


class BundleError(NbCacheError):
    """A bundle or archive is damaged, forged, too large or unsafe, and was not imported."""


@dataclass(frozen=True)
class Bundle:
    """One record's parts, checked: ``manifest`` and ``{part name: bytes}``."""

    manifest: dict[str, Any]
    parts: dict[str, bytes]

    @property
    def key(self) -> str:
        return str(self.manifest["key"])

    @property
    def record(self) -> dict[str, Any]:
        return dict(self.manifest["record"])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inputs_from_json(data: dict[str, Any]) -> KeyInputs:
    """The :class:`KeyInputs` stored on a record (the inverse of ``KeyInputs.to_json``)."""
    cells = tuple((int(i), str(d), tuple(str(t) for t in tags)) for i, d, tags in data["cells"])
    return KeyInputs(str(data["kernel"]), str(data["language"]), cells, dict(data["extra"]))


# -- writing ------------------------------------------------------------------------------
def bundle_from_entry(
    cache: NotebookCache, entry: CacheEntry, max_bytes: int = MAX_BUNDLE_BYTES
) -> Bundle:
    """The bundle of one record of ``cache``.

    :raises BundleError: a stored artefact is a link or the record is over ``max_bytes``.
    """
    parts = {NOTEBOOK_FILE: cache.notebook_path(entry).read_bytes()}
    for rel in entry.artefacts:
        path = cache.artefact_path(entry, rel)
        if path.is_symlink() or not path.is_file():
            raise BundleError(
                f"record {entry.id} ({entry.uri}): artefact '{rel}' is not a regular file; "
                f"run `nbcache cache remove {entry.id}` and execute the notebook again"
            )
        parts[f"{ARTEFACTS_DIR}/{rel}"] = path.read_bytes()
    _check_size(parts, max_bytes, f"record {entry.id} ({entry.uri})")
    record = {
        "uri": entry.uri,
        "created": executed_at(entry),
        "data": entry.data,
        "inputs": entry.inputs,
        "dependencies": entry.dependencies,
        "artefacts": list(entry.artefacts),
    }
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "key": entry.hashkey,
        "record": record,
        "files": {name: {"sha256": sha256(b), "size": len(b)} for name, b in parts.items()},
    }
    return Bundle(manifest, parts)


def bundle_bytes(bundle: Bundle) -> bytes:
    """The bundle as a file (deterministic: the same record gives the same bytes)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        _add(tar, MANIFEST, json.dumps(bundle.manifest, sort_keys=True, default=str).encode())
        for name in sorted(bundle.parts):
            _add(tar, name, bundle.parts[name])
    return gzip.compress(raw.getvalue(), mtime=0)


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def _check_size(parts: dict[str, bytes], max_bytes: int, what: str) -> None:
    total = sum(len(b) for b in parts.values())
    if total > max_bytes:
        raise BundleError(
            f"{what}: {total} bytes, over the bundle limit of {max_bytes} bytes; "
            "keep large data out of the notebook's artefacts"
        )


# -- reading ------------------------------------------------------------------------------
def read_bundle(
    data: bytes, where: str, *, expect_key: str | None = None, max_bytes: int = MAX_BUNDLE_BYTES
) -> Bundle:
    """Parse and check a bundle file's bytes; nothing is written.

    :param where: names the bundle in messages (a file, an archive member, a URL).
    :param expect_key: the key the bundle must be the result of (its name).
    :raises BundleError: anything wrong, with what and where.
    """
    import nbformat  # here: a no-op build imports none of it

    try:
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        if len(raw) > max_bytes + 1024 * 1024:
            raise BundleError(f"{where}: over the bundle limit of {max_bytes} bytes")
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            members = _members(tar, where, max_bytes)
    except (OSError, EOFError, tarfile.TarError) as exc:
        raise BundleError(
            f"{where}: not a readable bundle ({exc}); fetch or export it again"
        ) from None
    manifest = _manifest(members.pop(MANIFEST, None), where)
    _check_parts(manifest, members, where)
    key = manifest["key"]
    if expect_key is not None and key != expect_key:
        raise BundleError(f"{where}: holds key {key}, not {expect_key}; the bundle is misplaced")
    try:
        actual = inputs_from_json(manifest["record"]["inputs"]).key()
    except (KeyError, TypeError, ValueError):
        raise BundleError(f"{where}: the manifest's key inputs are malformed") from None
    if actual != key:
        raise BundleError(f"{where}: its key inputs hash to {actual}, not to its key {key}")
    try:
        nbformat.reads(members[NOTEBOOK_FILE].decode("utf-8"), as_version=4)
    except Exception as exc:  # nbformat raises many kinds; every one means the same here
        raise BundleError(f"{where}: notebook.ipynb is not a valid notebook ({exc})") from None
    return Bundle(manifest, members)


def _members(tar: tarfile.TarFile, where: str, max_bytes: int) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    total = 0
    for info in tar:
        if not info.isfile():
            raise BundleError(f"{where}: '{info.name}' is not a regular file (links are refused)")
        name = info.name
        if name != MANIFEST and name != NOTEBOOK_FILE:
            if not name.startswith(ARTEFACTS_DIR + "/"):
                raise BundleError(f"{where}: unexpected part '{name}'")
            try:
                safe_join(Path("."), name[len(ARTEFACTS_DIR) + 1 :])
            except ArtefactError as exc:
                raise BundleError(f"{where}: unsafe artefact path: {exc}") from None
        if name in out:
            raise BundleError(f"{where}: part '{name}' appears twice")
        total += info.size
        if total > max_bytes or len(out) > MAX_PARTS:
            raise BundleError(
                f"{where}: over the bundle limit of {max_bytes} bytes or {MAX_PARTS} parts"
            )
        handle = tar.extractfile(info)
        out[name] = handle.read() if handle is not None else b""
    return out


def _manifest(data: bytes | None, where: str) -> dict[str, Any]:
    if data is None:
        raise BundleError(f"{where}: no {MANIFEST}; not a bundle")
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise BundleError(f"{where}: {MANIFEST} is not JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{where}: not a {FORMAT} manifest")
    if manifest.get("version") != VERSION:
        raise BundleError(
            f"{where}: bundle version {manifest.get('version')!r}; this sphinx-nbcache reads "
            f"version {VERSION} (upgrade it, or export again)"
        )
    record = manifest.get("record")
    if not isinstance(manifest.get("key"), str) or not _KEY.fullmatch(manifest["key"]):
        raise BundleError(f"{where}: the manifest has no valid key")
    if not isinstance(record, dict) or not isinstance(manifest.get("files"), dict):
        raise BundleError(f"{where}: the manifest has no record or file list")
    return manifest


def _check_parts(manifest: dict[str, Any], members: dict[str, bytes], where: str) -> None:
    files = manifest["files"]
    if set(files) != set(members) or NOTEBOOK_FILE not in members:
        missing = sorted(set(files) - set(members))
        extra = sorted(set(members) - set(files))
        raise BundleError(
            f"{where}: parts do not match the manifest (missing: {missing}, unlisted: {extra})"
        )
    for name, data in members.items():
        expected = files[name].get("sha256") if isinstance(files[name], dict) else None
        if expected != sha256(data):
            raise BundleError(f"{where}: '{name}' does not match its SHA-256 in the manifest")
    listed = {f"{ARTEFACTS_DIR}/{rel}" for rel in manifest["record"].get("artefacts", [])}
    if listed != {n for n in members if n != NOTEBOOK_FILE}:
        raise BundleError(f"{where}: the record's artefacts do not match the bundle's parts")


# -- importing ----------------------------------------------------------------------------
def executed_at(entry: CacheEntry) -> float:
    """When a record's notebook was executed: its creation, or its origin's if imported."""
    origin = entry.data.get(ORIGIN)
    if isinstance(origin, dict) and isinstance(origin.get("created"), (int, float)):
        return float(origin["created"])
    return entry.created


def import_bundle(
    cache: NotebookCache, bundle: Bundle, source: str = ""
) -> tuple[CacheEntry, bool]:
    """Store a checked bundle in ``cache``, unless it holds a record executed as late.

    The stored record keeps the time it was executed as its ``created`` time, and its
    ``data`` gets ``origin``: ``{"from": source, "created": when it was executed}``, which
    the report and ``nbcache status`` read (``where``), as do the comparisons of later
    imports with records stored before ``created`` was kept.

    :param source: where the bundle came from (an archive, a remote's public URL).
    :returns: ``(entry, imported)``: the record now in the cache for the bundle's key, and
        whether it came from the bundle.
    """
    import nbformat  # here: a no-op build imports none of it

    record = bundle.record
    local = cache.lookup(bundle.key)
    created = float(record.get("created", 0))
    if local is not None and executed_at(local) >= created:
        return local, False
    nb = nbformat.reads(bundle.parts[NOTEBOOK_FILE].decode("utf-8"), as_version=4)
    with tempfile.TemporaryDirectory(prefix="nbcache-bundle-") as tmp:
        files: dict[str, str | os.PathLike[str]] = {}
        for name, data in bundle.parts.items():
            if name == NOTEBOOK_FILE:
                continue
            rel = name[len(ARTEFACTS_DIR) + 1 :]
            target = safe_join(Path(tmp), rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            files[rel] = target
        entry = cache.add_notebook(
            nb,
            str(record["uri"]),
            inputs=inputs_from_json(record["inputs"]),
            artefacts=files,
            data={**(record.get("data") or {}), ORIGIN: {"from": source, "created": created}},
            dependencies=record.get("dependencies") or {},
            validate=False,  # its hashes are checked; it was validated where it was stored
            created=created or None,
        )
    return entry, True


# -- archives -----------------------------------------------------------------------------
def write_archive(path: Path, bundles: Iterable[Bundle]) -> int:
    """Write ``bundles`` into one archive file at ``path`` (atomically); returns how many."""
    raw = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for bundle in bundles:
            _add(tar, bundle.key + SUFFIX, bundle_bytes(bundle))
            count += 1
    atomic_write_bytes(Path(path), raw.getvalue())
    return count


def read_archive(path: Path, where: str, max_bytes: int = MAX_BUNDLE_BYTES) -> Iterator[Bundle]:
    """Each checked bundle of the archive at ``path``, in order.

    :raises BundleError: at the first bad member, before it is yielded.
    """
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 (closed by the `with` below)
    except (OSError, tarfile.TarError) as exc:
        raise BundleError(f"{where}: not a readable archive ({exc})") from None
    with tar:
        for info in tar:
            member = f"{where}: {info.name}"
            stem = info.name[: -len(SUFFIX)] if info.name.endswith(SUFFIX) else ""
            if not info.isfile() or not _KEY.fullmatch(stem):
                raise BundleError(f"{member}: not a bundle (expected <key>{SUFFIX})")
            if info.size > max_bytes:
                raise BundleError(f"{member}: over the bundle limit of {max_bytes} bytes")
            extracted = tar.extractfile(info)
            data = extracted.read() if extracted is not None else b""
            yield read_bundle(data, member, expect_key=stem, max_bytes=max_bytes)


def export_archive(cache: NotebookCache, path: Path, patterns: Iterable[str] = ()) -> int:
    """Write every record of ``cache`` whose URI matches one of ``patterns`` (all when none)
    to an archive at ``path``; returns how many."""
    from fnmatch import fnmatchcase

    chosen = list(patterns)
    entries = [
        e
        for e in cache.list_records()
        if not chosen or any(fnmatchcase(e.uri, pattern) for pattern in chosen)
    ]
    return write_archive(path, (bundle_from_entry(cache, e) for e in entries))


def import_archive(cache: NotebookCache, path: Path) -> list[tuple[CacheEntry, bool]]:
    """Check every bundle of the archive at ``path``, then import them (none if one is bad).

    :returns: ``(entry, imported)`` per bundle (see :func:`import_bundle`).
    """
    bundles = list(read_archive(Path(path), str(path)))
    return [import_bundle(cache, bundle, str(path)) for bundle in bundles]

"""What a notebook's run depended on, and whether any of it changed since.

A run records (through the kernel probe) the files it opened for reading and the modules it
imported. Of those, the files inside the project root (outside the cache, the build and any
installed environment) are stored with a SHA-256 of their content; the imported third-party
modules are stored as distributions with versions. A cached result is valid only while all of
them are unchanged. Content, not modification times, decides: a ``touch`` or a branch switch
and back changes nothing. Hashes are kept with each file's size and mtime in the store, so a
file is hashed again only when its stat changed.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from .files import IGNORED_DIRS
from .records import FileStatEntry

#: folders that hold installed code, never the project's own files
_ENV_DIRS = frozenset({"site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox"})


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: a file whose mtime is this close to the moment it was hashed may still change within the
#: same timestamp tick (coarse file-system clocks, a one-second mtime on some file systems)
#: without a new size or mtime: its stat is not kept, so it is hashed again next time (git's
#: "racily clean" rule)
RACY_SECONDS = 2.0


class FileStatStore(Protocol):
    """Where :class:`FileHasher` keeps its hashes (the store: :class:`.store.NotebookCache`)."""

    def file_stats(self, paths: Sequence[str]) -> dict[str, FileStatEntry]: ...

    def store_file_stats(self, stats: Iterable[FileStatEntry]) -> None: ...


class FileHasher:
    """Content hashes of files, cached in the store by (size, mtime)."""

    def __init__(self, store: FileStatStore) -> None:
        self.store = store
        self._memo: dict[str, str | None] = {}

    def hashes(self, paths: Iterable[str | os.PathLike[str]]) -> dict[str, str | None]:
        """``{absolute path: sha256 or None when missing}``; one read and one write query."""
        wanted = [str(Path(p).absolute()) for p in paths]
        todo = [p for p in dict.fromkeys(wanted) if p not in self._memo]
        if todo:
            self._hash(todo)
        return {p: self._memo[p] for p in wanted}

    def _hash(self, paths: list[str]) -> None:
        known = self.store.file_stats(paths)
        fresh = []
        racy_after = time.time_ns() - int(RACY_SECONDS * 1e9)
        for path in paths:
            try:
                st = os.stat(path)
            except OSError:
                self._memo[path] = None
                continue
            stat = known.get(path)
            if stat is not None and (stat.size, stat.mtime_ns) == (st.st_size, st.st_mtime_ns):
                self._memo[path] = stat.sha256
                continue
            try:
                digest = sha256_file(Path(path))
            except OSError:
                self._memo[path] = None
                continue
            self._memo[path] = digest
            if st.st_mtime_ns < racy_after:
                fresh.append(FileStatEntry(path, st.st_size, st.st_mtime_ns, digest))
        self.store.store_file_stats(fresh)


def is_project_file(path: Path, root: Path, exclude: Iterable[Path]) -> bool:
    """Inside ``root``, outside ``exclude``, not installed code, not a cache of Python's."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    if any(part in IGNORED_DIRS or part in _ENV_DIRS for part in rel.parts[:-1]):
        return False
    if path.suffix in (".pyc", ".pyo"):
        return False
    return not any(path == ex or ex in path.parents for ex in exclude)


def recorded_dependencies(
    io: Mapping[str, Any],
    root: Path,
    *,
    exclude: Iterable[Path] = (),
    hasher: FileHasher | None = None,
) -> dict[str, Any]:
    """The dependencies to store on a record, from a probe report.

    :param io: the kernel probe's report (``reads``, ``modules``, ``imported``...).
    :param root: only files under it count (the project).
    :param exclude: files and folders never counted (the notebook itself, cache, build).
    """
    if not io:
        return {}
    root = Path(root).absolute()
    excluded = [Path(p).absolute() for p in exclude]
    candidates = {Path(p) for p in io.get("reads", [])}
    candidates |= {Path(p) for p in io.get("modules", {}).values()}
    written = {Path(p) for p in io.get("writes", [])}
    files = sorted(
        p
        for p in candidates
        if p not in written and p.is_file() and is_project_file(p, root, excluded)
    )
    digests = hasher.hashes(files) if hasher else {str(p): sha256_file(p) for p in files}
    out: dict[str, Any] = {
        "files": {
            p.relative_to(root).as_posix(): digests[str(p)] for p in files if digests.get(str(p))
        },
        "python": io.get("python"),
        "executable": io.get("executable"),
    }
    if io.get("executable") == sys.executable:
        out["packages"] = distributions(io.get("imported", []))
    return out


@functools.lru_cache(maxsize=1)
def _top_level_map() -> dict[str, list[str]]:
    from importlib import metadata

    return dict(metadata.packages_distributions())


def distributions(top_level_names: Iterable[str]) -> dict[str, str]:
    """``{distribution: version}`` of imported top-level modules, in this environment."""
    from importlib import metadata

    out: dict[str, str] = {}
    mapping = _top_level_map()
    for name in top_level_names:
        for dist in mapping.get(name, ()):
            try:
                out[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
    return out


class InstalledVersions:
    """Installed distribution versions, looked up once per instance (one build)."""

    def __init__(self) -> None:
        self._memo: dict[str, str | None] = {}

    def get(self, dist: str) -> str | None:
        if dist not in self._memo:
            from importlib import metadata

            try:
                self._memo[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                self._memo[dist] = None
        return self._memo[dist]


def dependency_changes(
    deps: Mapping[str, Any],
    root: Path,
    hasher: FileHasher,
    *,
    check_packages: bool = True,
    versions: InstalledVersions | None = None,
) -> list[str]:
    """Reasons why a record's recorded dependencies no longer hold (empty: still valid)."""
    reasons: list[str] = []
    files: Mapping[str, str] = deps.get("files", {})
    if files:
        root = Path(root).absolute()
        current = hasher.hashes(root / rel for rel in files)
        for rel, digest in files.items():
            now = current[str((root / rel).absolute())]
            if now is None:
                reasons.append(f"`{rel}` was removed")
            elif now != digest:
                reasons.append(f"`{rel}` changed")
    if check_packages and deps.get("executable") == sys.executable:
        if deps.get("python") and deps["python"] != sys.version.split()[0]:
            reasons.append(f"Python {deps['python']} -> {sys.version.split()[0]}")
        versions = versions or InstalledVersions()
        for dist, version in (deps.get("packages") or {}).items():
            now_version = versions.get(dist)
            if now_version is None:
                reasons.append(f"`{dist}` {version} was uninstalled")
            elif now_version != version:
                reasons.append(f"`{dist}` {version} -> {now_version}")
    return reasons

"""File helpers for the store: atomic writes, safe relative paths, folder snapshots."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .errors import ArtefactError


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (as anyone's). Where it cannot be
    asked safely (Windows, where ``os.kill(pid, 0)`` would end the process) it is taken to
    be alive, so that nothing of a live process is ever removed."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process (PermissionError), or cannot tell
        return True
    return True


def current_umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    The file gets the permissions a plain ``open(path, "w")`` would give (``0666`` less the
    umask): ``mkstemp`` creates it ``0600``, which would hide pages and artefacts from a web
    server or the other users of a shared checkout.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def relative_inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> str:
    """Return ``path`` relative to ``folder`` as POSIX text, refusing anything outside it.

    Symbolic links and ``..`` are resolved first, so neither can escape the folder.

    :raises ArtefactError: ``Artifact Error: Path '...' is not in folder '...'``.
    """
    folder_resolved = Path(folder).resolve()
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = Path(folder) / candidate
    resolved = candidate.resolve()
    try:
        rel = resolved.relative_to(folder_resolved)
    except ValueError:
        raise ArtefactError(
            f"Artifact Error: Path '{path}' is not in folder '{folder_resolved}'"
        ) from None
    if not rel.parts:
        raise ArtefactError(f"Artifact Error: Path '{path}' is the folder itself, not a file")
    return PurePosixPath(*rel.parts).as_posix()


def safe_join(folder: Path, rel: str) -> Path:
    """Join a stored relative POSIX path to ``folder``, refusing any escape."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
        raise ArtefactError(f"Artifact Error: Path '{rel}' is not in folder '{folder}'")
    return folder.joinpath(*parts)


def copy_into(files: dict[str, Path], dest: Path) -> None:
    """Copy ``{relative path: source file}`` into ``dest`` keeping the relative layout."""
    for rel, src in files.items():
        target = safe_join(dest, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def remove_tree(path: Path) -> None:
    """Remove a folder; a folder already gone is fine."""
    shutil.rmtree(path, ignore_errors=True)


#: Folder names never scanned for artefacts.
IGNORED_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".ipynb_checkpoints", ".nbcache", "_build", ".tox"}
)


#: at most this many files are compared before and after a run: the comparison stays cheap
#: next to a large data tree (past it, only the files the probe saw are artefacts)
SNAPSHOT_LIMIT = 20_000


def snapshot(
    folder: Path, exclude: Iterable[Path] = (), limit: int | None = None
) -> dict[str, tuple[int, int]] | None:
    """Map each file under ``folder`` (relative POSIX path) to ``(size, mtime_ns)``.

    Hidden folders, :data:`IGNORED_DIRS` and the folders in ``exclude`` are not entered, nor
    are symbolic links to folders. ``None`` when there are more than ``limit`` files.
    """
    result: dict[str, tuple[int, int]] = {}
    root = str(folder)
    skip = {os.path.abspath(p) for p in exclude}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [
            d
            for d in dirnames
            if d not in IGNORED_DIRS
            and not d.startswith(".")
            and os.path.join(dirpath, d) not in skip
        ]
        for name in filenames:
            full = os.path.join(dirpath, name)
            try:
                st = os.stat(full, follow_symlinks=False)
            except OSError:
                continue
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            result[rel] = (st.st_size, st.st_mtime_ns)
            if limit is not None and len(result) > limit:
                return None
    return result


def changed_files(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
) -> list[str]:
    """Files new in ``after`` or whose size or mtime changed."""
    return sorted(rel for rel, stat in after.items() if before.get(rel) != stat)

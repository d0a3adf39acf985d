"""The folders of a cache: created with one-line errors, written atomically, swept when abandoned.

A record or failure folder (``records/<uuid>``, ``failures/<uuid>``) is filled under a
temporary name (``.tmp-<uuid>``) and renamed into place whole; the store commits the row that
points at it only afterwards. A writer killed on the way leaves a temporary folder, or a folder
no row references; so does a database deleted and recreated. :func:`abandoned` tells those
apart from a live writer's by their age; a temporary folder is also named by its writer
(``.tmp-<host>-<pid>-<uuid>``), so one whose writer on this machine is gone is removed at once.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CacheDatabaseError
from .files import copy_into, pid_alive, remove_tree

if TYPE_CHECKING:
    from nbformat import NotebookNode

NOTEBOOK_FILE = "notebook.ipynb"
ARTEFACTS_DIR = "artefacts"
#: a temporary or unreferenced folder untouched this long belongs to no live writer
STALE_SECONDS = 15 * 60
#: the names a sweep may remove: ours, nothing else
_SWEPT_NAME = re.compile(r"(\.tmp-([A-Za-z0-9_]{1,32}-\d+-)?)?[0-9a-f]{32}")
_WRITER = re.compile(r"\.tmp-([A-Za-z0-9_]{1,32})-(\d+)-[0-9a-f]{32}")


def _host() -> str:
    """This machine, as a temporary folder's name gives it (a cache may be shared)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:32] or "host"


def _writer_gone(name: str) -> bool:
    """Whether ``name`` is a temporary folder whose writer, on this machine, has ended."""
    found = _WRITER.fullmatch(name)
    if found is None or found.group(1) != _host():
        return False
    pid = int(found.group(2))
    return pid != os.getpid() and not pid_alive(pid)


def make_folder(folder: Path) -> None:
    """Create a folder of the cache; a file in its way is a one-line error, not a crash."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CacheDatabaseError(
            f"{folder}: is a file, not a cache folder; move it away or set nbcache_path "
            "(-p/--cache-path) to another folder"
        ) from None
    except OSError as exc:
        raise CacheDatabaseError(
            f"{folder}: cannot create the cache folder ({exc.strerror or exc}); "
            "set nbcache_path (-p/--cache-path) to a writable folder"
        ) from None


def write_folder(base: Path, nb: NotebookNode, files: Mapping[str, Path]) -> Path:
    """Write a notebook (and ``files`` under ``artefacts/``) into ``base/<uuid>`` atomically.

    :returns: the new folder, complete; nothing is left behind when this raises.
    """
    import nbformat  # here: a no-op build imports none of it

    name = uuid.uuid4().hex
    tmp = base / f".tmp-{_host()}-{os.getpid()}-{name}"
    tmp.mkdir(parents=True)
    try:
        nbformat.write(nb, str(tmp / NOTEBOOK_FILE))
        if files:
            copy_into(dict(files), tmp / ARTEFACTS_DIR)
        os.replace(tmp, base / name)
    except BaseException:
        remove_tree(tmp)
        raise
    return base / name


def newest_mtime(folder: Path) -> float:
    """The latest modification time in a folder tree (a writer may be filling a subfolder)."""
    newest = 0.0
    for dirpath, _dirs, files in os.walk(folder):
        for name in [dirpath, *(os.path.join(dirpath, f) for f in files)]:
            with contextlib.suppress(OSError):
                newest = max(newest, os.stat(name, follow_symlinks=False).st_mtime)
    return newest


def swept_names(base: Path) -> list[str]:
    """The names of the folders under ``base`` named as the store names them."""
    try:
        with os.scandir(base) as entries:  # the file type comes with the listing: no stat
            return [
                e.name
                for e in entries
                if _SWEPT_NAME.fullmatch(e.name) and e.is_dir(follow_symlinks=False)
            ]
    except OSError:
        return []


def abandoned(
    base: Path, names: Iterable[str], used: set[str], older_than: float = STALE_SECONDS
) -> list[Path]:
    """The folders of ``base`` among ``names`` that no row uses (``used``), untouched a while.

    The age keeps a concurrent writer's live folder safe: it is renamed into place just
    before its row is committed, and a temporary folder is young while it is being filled.
    """
    deadline = time.time() - older_than
    unused = [base / name for name in names if name not in used]
    return [
        folder for folder in unused if _writer_gone(folder.name) or newest_mtime(folder) <= deadline
    ]

"""Where a notebook's kernels live: their private folder, its transport, and its clean-up.

Each run gets one temporary folder, ``nbcache-<pid>-<random>`` in the system's temporary
folder, holding the kernels' Unix sockets and their connection files (jupyter_client would
otherwise write ``tmp*.json`` beside it). Unix sockets rather than TCP ports: jupyter_client
picks free ports, closes them and lets the kernel bind them, and another process can take one
in between (the kernel then dies, or, worse, the client talks to another kernel's socket).

A process killed outright (``kill -9``) cannot remove its folder. The owner's pid in the name
makes such a folder ours and orphaned: before its first kernel starts, each process removes the
folders whose owner is no longer alive (:func:`sweep_orphans`). The kernel of a killed process
exits on its own: ipykernel polls its parent (``JPY_PARENT_PID``) every second.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .files import pid_alive

#: talk to kernels over Unix sockets (not on Windows, which has none for zmq)
IPC = os.name != "nt"
#: how many kernels are started for one notebook before its failure to start is its result
KERNEL_START_ATTEMPTS = 3
#: what the folders of this module are called: ``nbcache-<owner pid>-<random>``
FOLDER_PREFIX = "nbcache-"
_OURS = re.compile(rf"{FOLDER_PREFIX}(\d+)-[^-]+\Z")
#: the longest Unix socket path the system takes (``sun_path``: 108 bytes on Linux, 104 on
#: macOS and the BSDs, the terminating NUL included)
SOCKET_PATH_MAX = 107 if sys.platform.startswith("linux") else 103
#: seconds a folder of a dead owner is left alone: a folder just made by a process whose pid
#: was reused, or one whose owner's death the system has not reaped yet, is not swept
ORPHAN_AGE = 60


class KernelStartError(RuntimeError):
    """Every attempt to start the notebook's kernel failed."""


_swept: set[tuple[int, str]] = set()  # (pid, folder): a fork is a new process
_sweep_lock = threading.Lock()


@contextmanager
def kernel_folder() -> Iterator[Path]:
    """A private folder for one run's kernels, removed afterwards (sweeping orphans first,
    once per process)."""
    pid = os.getpid()
    parent = _socket_parent()
    sweep_once()
    with tempfile.TemporaryDirectory(
        prefix=f"{FOLDER_PREFIX}{pid}-", dir=parent, ignore_cleanup_errors=True
    ) as folder:
        yield Path(folder)


def sweep_once() -> None:
    """Sweep the orphaned folders (:func:`sweep_orphans`) where this process makes its own,
    once per process: before its first kernel starts, and at the start of a build, which
    may start none."""
    pid = os.getpid()
    for parent in dict.fromkeys([tempfile.gettempdir(), _socket_parent()]):
        with _sweep_lock:
            if (pid, parent) in _swept:
                continue
            _swept.add((pid, parent))
        sweep_orphans(parent)


def _socket_parent() -> str:
    """Where the kernels' folders go: the temporary folder, unless its path is too long for
    the sockets inside (a long ``TMPDIR``): then ``/tmp``, where it can be written."""
    parent = tempfile.gettempdir()
    # the longest socket: <parent>/nbcache-<pid>-<8 random>/k<attempt>-<n>
    longest = f"{parent}/{FOLDER_PREFIX}{os.getpid()}-xxxxxxxx/k{KERNEL_START_ATTEMPTS}-9"
    if IPC and len(os.fsencode(longest)) > SOCKET_PATH_MAX and os.access("/tmp", os.W_OK):
        return "/tmp"
    return parent


def transport(folder: Path | None, attempt: int = 1) -> Any:
    """The traitlets configuration for the ``attempt``-th kernel of a run in ``folder``:
    its connection file there and, where zmq has them, Unix sockets there too."""
    from traitlets.config import Config

    if folder is None:
        return Config()
    manager: dict[str, Any] = {"connection_file": str(folder / f"k{attempt}.json")}
    socket = str(folder / f"k{attempt}")
    # a socket path too long to bind would leave the kernel unable to start: TCP then
    if IPC and len(os.fsencode(socket)) + 2 <= SOCKET_PATH_MAX:
        manager.update(transport="ipc", ip=socket)
    return Config({"KernelManager": manager})


def sweep_orphans(
    parent: str | os.PathLike[str] | None = None, *, min_age: float = ORPHAN_AGE
) -> list[Path]:
    """Remove the kernel folders in ``parent`` (the temporary folder) whose owner is dead.

    Only folders named as :func:`kernel_folder` names them, whose owner pid is not alive and
    that were last changed at least ``min_age`` seconds ago. Never raises.

    :returns: the folders removed.
    """
    removed: list[Path] = []
    if not IPC:  # Windows: no uid, and os.kill(pid, 0) would end the process
        return removed
    root = Path(parent if parent is not None else tempfile.gettempdir())
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        found = _OURS.match(entry.name)
        if found is None or int(found.group(1)) == os.getpid():
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat().st_uid != os.getuid():
                continue
            if now - entry.stat().st_mtime < min_age or pid_alive(int(found.group(1))):
                continue
        except OSError:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def kernel_installed(name: str) -> bool:
    """Whether kernel ``name`` is installed (asked first: jupyter_client would log a
    traceback before it raises)."""
    from jupyter_client.kernelspec import NoSuchKernel

    from .kernelspecs import QuickSpecManager

    try:
        QuickSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return False
    return True

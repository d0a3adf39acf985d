"""Warm template processes, one per interpreter, that fork a notebook's kernel on request.

A template (:mod:`.forkserver`, run on the kernelspec's interpreter) has imported IPython and
ipykernel, and the ``preload`` modules when asked, and nothing of the user's. A kernel forked
from it skips the interpreter's start-up and those imports; it then takes its notebook's
working folder, environment and argv and becomes ``ipykernel_launcher``'s kernel, a fresh
process as a spawned one is (see ``docs/forked-kernels.md`` for what is and is not shared).

One template per (interpreter, start-up environment, preloads): the environment variables
that a Python process reads only as it starts (``PYTHON*``, locale, matplotlib's and the BLAS
libraries' settings) cannot be changed in a forked child, so kernels that differ in them get
a template of their own. Templates are started on demand, or early by :func:`warm_up`; they
end with the build: :func:`shutdown_templates` at exit, and, if the build is killed, by
noticing that their socket to it closed. A template that fails to start or dies is not
started again in this process: its kernels start normally (see :mod:`.provisioner`).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import itertools
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)

#: variables read by a Python process (or a preloaded library) only at start-up
STARTUP_VARIABLES = (
    *("PYTHON", "LC_", "LANG"),  # the interpreter's
    *("PYDEVD", "DEBUGPY"),  # the debugger ipykernel imports
    *("MPL", "MATPLOTLIB", "OMP_", "OPENBLAS_", "MKL_", "NPY_"),  # preloadable libraries'
)
#: seconds a template may take to become warm before its kernels start normally
READY_TIMEOUT = 60.0
#: seconds a template may take to answer a request
REPLY_TIMEOUT = 30.0
_SERVER = Path(__file__).with_name("forkserver.py")
# run the server file as a script without putting its folder (this package) on sys.path
_BOOT = "import runpy, sys; del sys.argv[0]; runpy.run_path(sys.argv[0], run_name='__main__')"


class TemplateError(RuntimeError):
    """A template could not start, died, or could not fork a kernel."""


def startup_environment(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The variables of ``env`` that only a process's start reads, sorted."""
    return tuple(sorted((k, v) for k, v in env.items() if k.startswith(STARTUP_VARIABLES)))


class Template:
    """The build's side of one template process: requests, replies, and its children's
    exits. Thread-safe; awaitable from any event loop."""

    def __init__(self, python: str, env: Mapping[str, str], preload: Sequence[str] = ()) -> None:
        self.python = python
        self.preload = tuple(preload)
        self.pid: int | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: dict[int, concurrent.futures.Future[dict[str, Any]]] = {}
        self._exits: dict[int, int] = {}
        #: CPU seconds (user + system) of each child that exited
        self.cpu: dict[int, float] = {}
        self._children: set[int] = set()
        self.ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.failure: str | None = None
        # the template's own stderr, kept to explain a failure; closed with the object
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock = ours
        try:
            self._process = subprocess.Popen(
                [python, "-c", _BOOT, str(_SERVER), str(theirs.fileno()), *self.preload],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                cwd=tempfile.gettempdir(),  # a folder of no one's modules
                env=dict(env),
                start_new_session=True,  # a Ctrl-C reaches the build, which ends it
            )
        except OSError as exc:
            self._fail(f"cannot run {python}: {exc}")
            return
        finally:
            theirs.close()
        self.pid = self._process.pid
        reader = threading.Thread(target=self._read, name=f"nbcache-tpl-{self.pid}", daemon=True)
        reader.start()

    # -- requests ---------------------------------------------------------------------------
    def fork(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: str, fds: Sequence[int]
    ) -> concurrent.futures.Future[dict[str, Any]]:
        """Ask for a kernel: a future of ``{"pid": ...}`` (its error a :class:`TemplateError`)."""
        request = {"op": "fork", "argv": list(argv), "env": dict(env), "cwd": cwd}
        return self._request(request, fds)

    def signal(self, pid: int, signum: int) -> concurrent.futures.Future[dict[str, Any]]:
        """Signal child ``pid``'s process group (if it is still alive)."""
        return self._request({"op": "signal", "pid": pid, "signum": int(signum)}, ())

    def exit_code(self, pid: int) -> int | None:
        """Child ``pid``'s exit code (negative: the signal), ``None`` while it runs."""
        with self._lock:
            if pid in self._exits:
                return self._exits[pid]
            if self.failure is not None:  # the template is gone, and so are its children
                return -signal.SIGKILL
            return None

    def _request(
        self, request: dict[str, Any], fds: Sequence[int]
    ) -> concurrent.futures.Future[dict[str, Any]]:
        future: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        with self._lock:
            if self.failure is not None:
                future.set_exception(TemplateError(self.failure))
                return future
            request["id"] = ident = next(self._ids)
            request["nfds"] = len(fds)
            self._pending[ident] = future
            data = json.dumps(request).encode() + b"\n"
            try:
                sent = socket.send_fds(self._sock, [data], list(fds))
                if sent < len(data):  # the file descriptors went with the first part
                    self._sock.sendall(data[sent:])
            except OSError as exc:
                failed = f"the template is gone: {exc}"
            else:
                return future
        # the template died before its reader saw it: one failure, so one reason told
        self._fail(failed)
        return future

    # -- the reader thread ------------------------------------------------------------------
    def _read(self) -> None:
        buffer = b""
        try:
            while True:
                data = self._sock.recv(1 << 16)
                if not data:
                    break
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self._dispatch(json.loads(line))
        except (OSError, ValueError):
            pass
        code = self._process.wait()
        self._fail(f"the template exited (code {code}){self._stderr()}")

    def _dispatch(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "ready":
            self.ready.set_result(None)
        elif op == "failed":
            self._fail(message["reason"])
        elif op == "exited":
            with self._lock:
                self._exits[message["pid"]] = message["code"]
                self.cpu[message["pid"]] = message["cpu"]
                self._children.discard(message["pid"])
        else:
            with self._lock:
                future = self._pending.pop(message["id"], None)
                if "pid" in message:
                    self._children.add(message["pid"])
                    # pids are reused: an earlier child's exit is not this one's (its own
                    # exit is always told after this reply)
                    self._exits.pop(message["pid"], None)
                    self.cpu.pop(message["pid"], None)
            if future is not None:
                future.set_result(message)

    def _fail(self, reason: str) -> None:
        with self._lock:
            if self.failure is not None:
                return
            self.failure = reason
            pending, self._pending = self._pending, {}
        for future in pending.values():
            future.set_exception(TemplateError(reason))
        if not self.ready.done():
            self.ready.set_exception(TemplateError(reason))

    def _stderr(self) -> str:
        try:
            self._log.seek(0)
            text = self._log.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            return ""
        return f": {text.splitlines()[-1]}" if text else ""

    # -- the end ----------------------------------------------------------------------------
    def close(self, timeout: float = 5.0) -> None:
        """End the template (it kills whatever children it still has) and wait for it."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        process = getattr(self, "_process", None)
        if process is None:
            return
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_templates: dict[tuple[Any, ...], Template] = {}
_registry_lock = threading.Lock()


def template_for(python: str, env: Mapping[str, str], preload: Sequence[str] = ()) -> Template:
    """The template for kernels of ``python`` with ``env`` and ``preload``, started if none is."""
    key = (python, startup_environment(env), tuple(preload))
    with _registry_lock:
        template = _templates.get(key)
        if template is None:
            template = _templates[key] = Template(python, env, preload)
        return template


def warm_up(
    python: str | None = None,
    preload: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
) -> Template:
    """Start the template for ``python`` (default: this interpreter) now, without waiting
    for it to be warm (a build would rather call :func:`.provisioner.warm_up`, which
    computes a kernelspec's interpreter and environment as its kernels' start does).

    :param env: the kernels' environment (default: this process's).
    """
    chosen = resolve_python(python or sys.executable, env if env is not None else os.environ)
    return template_for(chosen, env if env is not None else os.environ, tuple(preload))


def resolve_python(command: str, env: Mapping[str, str]) -> str:
    """The interpreter a kernelspec's ``argv[0]`` names, as a path (looked up on the
    kernel's ``PATH`` as the kernel's start would)."""
    if os.sep in command:
        return command
    return shutil.which(command, path=env.get("PATH")) or command


def shutdown_templates() -> None:
    """End every template of this process (at exit, or when a build ends)."""
    with _registry_lock:
        templates = list(_templates.values())
        _templates.clear()
    for template in templates:
        template.close()


def _forget_after_fork() -> None:
    # a forked build worker (sphinx-build -j) must not use its parent's templates, nor keep
    # their sockets open: a template ends when the last copy of the build's end closes
    global _registry_lock
    for template in _templates.values():
        with contextlib.suppress(OSError):
            template._sock.close()
    _templates.clear()
    _registry_lock = threading.Lock()


atexit.register(shutdown_templates)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)

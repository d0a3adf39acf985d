"""The warm template process: run by :mod:`.forking` as a script, never imported by the build.

Started as ``python -c BOOT forkserver.py FD [PRELOAD...]`` with the build's end of a Unix
socket pair as file descriptor ``FD``, it imports IPython and ipykernel (and the ``PRELOAD``
modules), and nothing of the user's, then serves requests, one JSON object a line:

- ``{"op": "fork", "id", "argv", "env", "cwd", "nfds": 3}`` with three file descriptors
  (stdin, stdout, stderr) attached: forks a child that becomes ``ipykernel_launcher`` with
  ``argv``, in ``cwd``, with exactly ``env``; replies ``{"id", "pid"}``.
- ``{"op": "signal", "id", "pid", "signum"}``: signals the child's process group, only while
  the child is alive and unreaped (a reaped pid may belong to someone else already).

It tells the build ``{"op": "ready"}`` once warm and ``{"op": "exited", "pid", "code"}`` as each
child is reaped. When the build's end closes (the build ended, crashed or was killed), it
kills its children and exits; on Linux the children are also killed by the kernel if the
template dies first (``PR_SET_PDEATHSIG``). This file imports only the standard library
before the preloads, so that it can run on any interpreter that has ipykernel.
"""

import contextlib
import json
import os
import select
import signal
import socket
import sys
import traceback

#: imported in the template: what every kernel imports before its first cell (measured:
#: the modules of a started kernel that ``import ipykernel.kernelapp`` alone leaves out)
WARM = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.iostream",
    "ipykernel.debugger",  # debugpy: a third of a kernel's start-up CPU
    "IPython.core.interactiveshell",
    "IPython.core.completer",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.formatters",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "jupyter_client.session",
    "sqlite3",
    "tornado.gen",
    "tornado.ioloop",
    "tornado.locks",
    "tornado.platform.asyncio",
    "tornado.queues",
    "zmq.asyncio",
)
_PDEATHSIG = 1  # prctl's PR_SET_PDEATHSIG


def main(argv):
    sock = socket.socket(fileno=int(argv[0]))
    preload = argv[1:]
    # the kernel's sys.path as ``python -m`` would make it, less the template's own folder
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    base_path = list(sys.path)
    before = dict(os.environ)
    for name in WARM:
        try:
            __import__(name)
        except ImportError:
            if name.startswith("ipykernel.kernelapp"):
                raise  # no ipykernel: nothing to fork (the build is told why)
    for name in preload:
        try:
            __import__(name)
        except BaseException as exc:  # the build says which module, and why
            _send(sock, {"op": "failed", "reason": f"preload {name!r}: {exc!r}"})
            return 1
    # what the imports made is never collected: kept out of every collection, it is never
    # touched, so its memory pages stay shared with the children instead of being copied
    import gc

    gc.collect()
    gc.freeze()
    threads = _threads()
    if threads > 1:
        # a fork copies only the calling thread: whatever the others held stays locked
        reason = f"the preloads started {threads - 1} Python thread(s): {preload}"
        _send(sock, {"op": "failed", "reason": reason})
        return 1
    # variables the imports set for themselves (debugpy sets PYDEVD_USE_FRAME_EVAL when it
    # finds it unset): a kernel would have them too, unless its environment sets them
    imported_env = {k: v for k, v in os.environ.items() if before.get(k) != v}
    Server(sock, base_path, imported_env).serve()
    return 0


def _threads():
    """The number of Python threads of this process. Native threads are not counted: the
    BLAS libraries numpy loads start a pool and stop it around a fork (pthread_atfork)."""
    import threading

    return threading.active_count()


def _send(sock, message):
    sock.sendall(json.dumps(message).encode() + b"\n")


class Server:
    """The template's loop: requests from the build, children reaped as they exit."""

    def __init__(self, sock, base_path, imported_env):
        self.sock = sock
        self.base_path = base_path
        self.imported_env = imported_env
        self.children = set()
        self.buffer = b""
        self.fds = []
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build decides, through the socket
        signal.signal(signal.SIGTERM, self._terminated)

    def _terminated(self, *_):
        raise SystemExit(1)

    def serve(self):
        me = os.getpid()
        try:
            _send(self.sock, {"op": "ready", "pid": me})
            while self._step():
                pass
        finally:
            if os.getpid() == me:
                self._kill_all()

    def _step(self):
        readable, _, _ = select.select([self.sock, self.wake_r], [], [])
        if self.wake_r in readable:
            os.read(self.wake_r, 4096)
        self._reap()
        if self.sock not in readable:
            return True
        data, fds, flags, _ = socket.recv_fds(self.sock, 1 << 16, 256)
        if not data:
            return False  # the build's end closed: the build is gone or done
        if flags & getattr(socket, "MSG_CTRUNC", 0):
            raise RuntimeError("file descriptors were lost in transit")  # ends the template
        self.fds += fds
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self._handle(json.loads(line))
        return True

    def _handle(self, request):
        if request["op"] == "fork":
            fds, self.fds = self.fds[: request["nfds"]], self.fds[request["nfds"] :]
            try:
                pid = self._fork(request, fds)
            finally:
                for fd in fds:
                    os.close(fd)
            self.children.add(pid)
            _send(self.sock, {"id": request["id"], "pid": pid})
        elif request["op"] == "signal":
            pid = request["pid"]
            sent = pid in self.children
            if sent:
                try:
                    os.killpg(pid, request["signum"])
                except OSError:
                    sent = False
            _send(self.sock, {"id": request["id"], "sent": sent})

    def _reap(self):
        while self.children:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
            _send(self.sock, {"op": "exited", "pid": pid, "code": code, "cpu": cpu})

    def _kill_all(self):
        for pid in list(self.children):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        for pid in list(self.children):
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)

    def _fork(self, request, fds):
        parent = os.getpid()
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:
            code = self._become_kernel(request, fds, parent)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
        finally:
            _leave(code)

    def _become_kernel(self, request, fds, parent):
        """In the child: take the notebook's process setting, then run ipykernel_launcher."""
        os.setsid()  # its own process group, as jupyter_client starts kernels
        _die_with(parent)
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        self.sock.detach()
        os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update({**self.imported_env, **request["env"]})
        sys.path[:] = ([] if sys.flags.safe_path else [os.getcwd()]) + self.base_path
        _fresh_state()
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        import runpy

        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
        return 0


def _die_with(parent):
    """Have the system kill this child when the template dies (Linux), and stop at once if
    it already has."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


def _fresh_state():
    """What a new process would have and a forked one shares: random generators' states, and
    the settings of preloaded modules read from the working folder or the environment."""
    import random

    random.seed()  # Python reseeds after os.fork already; numpy does not
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        _fresh_matplotlib(mpl)


def _fresh_matplotlib(mpl):
    """matplotlib read its rc files and ``$MPLBACKEND`` at import, in the template's folder:
    read them again here, in the notebook's, as an import would now (see forked-kernels.md)."""
    # ipykernel sets this when it starts, before a user's import would read it
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    with mpl._api.suppress_matplotlib_deprecation_warning():
        fresh = mpl.RcParams()
        fresh._update_raw(mpl.rcParamsDefault)
        fresh._update_raw(mpl._rc_params_in_file(mpl.matplotlib_fname()))
        dict.clear(mpl.rcParams)
        mpl.rcParams._update_raw(fresh)
        mpl.rcParamsOrig = fresh.copy()
        mpl.rcParams["backend"] = os.environ["MPLBACKEND"]


def _leave(code):
    """End the child as an interpreter would (exit handlers, flushed streams), never returning
    into the template's loop."""
    try:
        import atexit
        import threading

        # as the interpreter ends: other threads finished first, then the exit handlers
        threading._shutdown()
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except BaseException:
        pass
    os._exit(code if isinstance(code, int) else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

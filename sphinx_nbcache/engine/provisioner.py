"""Forked kernels through jupyter_client's own extension point, a kernel provisioner.

:class:`ForkProvisioner` (entry point ``nbcache-fork`` of ``jupyter_client.kernel_provisioners``)
is jupyter_client's local provisioner but for the launch: it asks the warm template of
:mod:`.forking` for the kernel process, then polls, waits for, signals, interrupts and kills
that process as the local provisioner does its own, so nbclient's timeouts, interrupts,
restarts and dead-kernel detection work unchanged. If the template cannot give a kernel (it
failed to start, died, refused), the kernel starts normally: never a failed notebook.

The executor chooses it per notebook: :func:`kernel_manager_class` gives nbclient a kernel
manager whose :class:`ForkSpecManager` adds the provisioner to the kernelspec when forking
applies (:func:`fork_refusal` says when it does not). Each reason not to fork is logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from queue import Empty
from typing import Any, cast

import zmq
import zmq.asyncio
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import KernelProvisionerFactory, LocalProvisioner
from traitlets import DottedObjectName, List, Type, Unicode, default
from traitlets.config import Config

from . import forking
from .kernelspecs import QuickSpecManager
from .options import ExecutionOptions

logger = logging.getLogger("sphinx_nbcache.engine.forking")

#: the provisioner's name in kernelspecs and in the entry point group
PROVISIONER_NAME = "nbcache-fork"
_ENTRY_POINT = "sphinx_nbcache.engine.provisioner:ForkProvisioner"
_said: set[str] = set()
_said_lock = threading.Lock()


def say_once(message: str, level: int = logging.INFO) -> None:
    """Log ``message`` the first time only (one line per reason and build process)."""
    with _said_lock:
        if message in _said:
            return
        _said.add(message)
    logger.log(level, message)


def fork_refusal(spec: KernelSpec) -> str | None:
    """Why kernels of ``spec`` cannot be forked (``None``: they can).

    Forkable: on POSIX with ``fork``, a Python kernelspec without a provisioner of its own
    whose ``argv`` is ``[python, -m, ipykernel_launcher, ..., {connection_file}, ...]``.
    """
    argv = list(spec.argv)
    if os.name != "posix" or not hasattr(os, "fork"):
        return f"this platform ({sys.platform}) has no fork"
    if "provisioner_name" in (spec.metadata or {}).get("kernel_provisioner", {}):
        return "its kernelspec names a provisioner of its own"
    if argv[1:3] != ["-m", "ipykernel_launcher"] or "{connection_file}" not in argv:
        return f"its argv is not [python, -m, ipykernel_launcher, ...]: {argv}"
    return None


class ForkProvisioner(LocalProvisioner):  # type: ignore[misc]
    """A local provisioner whose kernels are forked from a warm template when it can."""

    preload = List(Unicode(), help="modules the template imports too").tag(config=True)

    template: forking.Template | None = None
    forked_pid: int | None = None

    @property
    def has_process(self) -> bool:
        return self.forked_pid is not None or super().has_process

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        """Fork the kernel from the template; start it normally if that fails."""
        try:
            await self._fork(cmd, kwargs)
        except (forking.TemplateError, OSError, asyncio.TimeoutError) as exc:
            say_once(
                f"forked kernels: {exc or type(exc).__name__}; kernels start normally",
                logging.WARNING,
            )
            self.template = self.forked_pid = None
            return await super().launch_kernel(cmd, **kwargs)
        return self.connection_info

    async def _fork(self, cmd: list[str], kwargs: dict[str, Any]) -> None:
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        python = forking.resolve_python(cmd[0], env)
        template = forking.template_for(python, env, self.preload)
        await asyncio.wait_for(asyncio.wrap_future(template.ready), forking.READY_TIMEOUT)
        env["JPY_PARENT_PID"] = str(template.pid)  # the kernel's parent: it polls it
        with _streams(kwargs) as fds:
            reply = await asyncio.wait_for(
                asyncio.wrap_future(template.fork(cmd[3:], env, cwd, fds)),
                forking.REPLY_TIMEOUT,
            )
        self.template, self.forked_pid = template, reply["pid"]
        self.pid = self.pgid = reply["pid"]
        self.cwd = cwd

    async def poll(self) -> int | None:
        if self.forked_pid is None or self.template is None:
            return await super().poll()
        return self.template.exit_code(self.forked_pid)

    async def wait(self) -> int | None:
        if self.forked_pid is None:
            return await super().wait()
        while (code := await self.poll()) is None:
            await asyncio.sleep(0.05)
        self.forked_pid = None  # as the local provisioner forgets its process
        return code

    async def send_signal(self, signum: int) -> None:
        if self.forked_pid is None or self.template is None:
            return await super().send_signal(signum)
        # no template: its children are dead already (or dying: PDEATHSIG)
        with contextlib.suppress(forking.TemplateError, asyncio.TimeoutError):
            await asyncio.wait_for(
                asyncio.wrap_future(self.template.signal(self.forked_pid, signum)),
                forking.REPLY_TIMEOUT,
            )

    async def kill(self, restart: bool = False) -> None:
        if self.forked_pid is None:
            return await super().kill(restart)
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        if self.forked_pid is None:
            return await super().terminate(restart)
        await self.send_signal(signal.SIGTERM)

    async def get_provisioner_info(self) -> dict[str, Any]:
        info = await super().get_provisioner_info()
        info["forked"] = self.forked_pid is not None
        return info


class _streams:
    """The kernel's stdin, stdout and stderr as file descriptors to hand the template."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs
        self.opened: list[int] = []

    def __enter__(self) -> list[int]:
        import subprocess

        fds = []
        for name, inherited in (("stdin", None), ("stdout", 1), ("stderr", 2)):
            value = self.kwargs.get(name)
            if value is None and inherited is not None:
                fds.append(inherited)
            elif value is None or value == subprocess.DEVNULL:
                fd = os.open(os.devnull, os.O_RDWR)
                self.opened.append(fd)
                fds.append(fd)
            elif isinstance(value, int) and value >= 0:
                fds.append(value)
            elif hasattr(value, "fileno"):
                fds.append(value.fileno())
            else:  # a pipe the caller would read: only a spawned kernel gives one
                raise forking.TemplateError(f"{name}={value!r} cannot be handed to a fork")
        return fds

    def __exit__(self, *exc: object) -> None:
        for fd in self.opened:
            os.close(fd)


class ForkSpecManager(QuickSpecManager):
    """Kernelspecs as installed, with :class:`ForkProvisioner` added where forking applies."""

    preload = List(Unicode(), help="modules the template imports too").tag(config=True)

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        spec = super().get_kernel_spec(kernel_name)
        reason = fork_refusal(spec)
        if reason is not None:
            say_once(f"forked kernels: not for kernel '{kernel_name}': {reason}")
            return spec
        _register()
        spec.metadata = {
            **(spec.metadata or {}),
            "kernel_provisioner": {
                "provisioner_name": PROVISIONER_NAME,
                "config": {"preload": list(self.preload)},
            },
        }
        return spec


#: milliseconds between a client socket's attempts to reach a kernel that has not bound its
#: socket yet (zmq's default, 100, is most of a forked kernel's start)
RECONNECT_MS = 10


#: seconds to wait for a request's iopub messages before taking iopub as not connected yet
IOPUB_WAIT = 0.2


class QuickKernelClient(AsyncKernelClient):  # type: ignore[misc]
    """nbclient's kernel client, quicker to see that a kernel is ready: it retries reaching a
    kernel still starting sooner, and it knows the kernel is ready when the kernel's answer to
    ``kernel_info`` has come on both shell and iopub, rather than after iopub has been quiet
    for 0.2 s (jupyter_client's ``wait_for_ready``: 0.2 s of every kernel's start, most of a
    forked one's)."""

    @default("context")
    def _quick_context(self) -> zmq.asyncio.Context:
        self._created_context = True
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        return context

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel has answered a ``kernel_info`` request on shell and its
        ``idle`` status for it has arrived on iopub (so iopub is connected, and every message
        before it is read); send the request again until both have.

        :raises RuntimeError: the kernel died, or did not answer within ``timeout`` seconds
            (jupyter_client's own errors).
        """
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            msg_id = self.kernel_info()
            reply = await self._shell_reply(msg_id, min(deadline, time.monotonic() + 1))
            if reply is not None and await self._iopub_idle(msg_id):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _shell_reply(self, msg_id: str, until: float) -> dict[str, Any] | None:
        """The reply to ``msg_id`` (replies to earlier requests skipped), ``None`` if none
        came before ``until`` (monotonic)."""
        while (left := until - time.monotonic()) > 0:
            try:
                msg = await self.shell_channel.get_msg(timeout=left)
            except Empty:
                return None
            if msg["parent_header"].get("msg_id") == msg_id:
                return cast("dict[str, Any]", msg)
        return None

    async def _iopub_idle(self, msg_id: str) -> bool:
        """Whether iopub is connected: the ``idle`` status of request ``msg_id`` arrives (a
        kernel publishes it after its reply, so at once, unless iopub is not connected yet: a
        subscriber gets nothing published before it joined). A kernel that does not tell its
        status counts as connected if any message arrives within the wait, as for
        jupyter_client."""
        until = time.monotonic() + IOPUB_WAIT
        seen = False
        while (left := until - time.monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except Empty:
                break
            seen = True
            if (
                msg["parent_header"].get("msg_id") == msg_id
                and msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
            ):
                return True
        return seen


class QuickKernelManager(AsyncKernelManager):  # type: ignore[misc]
    """nbclient's kernel manager for kernels started normally, with :class:`QuickKernelClient`."""

    client_class = DottedObjectName("sphinx_nbcache.engine.provisioner.QuickKernelClient")
    client_factory = Type(klass=QuickKernelClient, config=True)

    @default("kernel_spec_manager")
    def _quick_spec_manager(self) -> KernelSpecManager:
        return QuickSpecManager(parent=self, data_dir=self.data_dir)


class ForkingKernelManager(QuickKernelManager):
    """nbclient's kernel manager, asking :class:`ForkSpecManager` for its kernelspecs."""

    @default("kernel_spec_manager")
    def _fork_spec_manager(self) -> KernelSpecManager:
        return ForkSpecManager(parent=self, data_dir=self.data_dir)


def warm_up(kernel_name: str = "python3", options: ExecutionOptions | None = None) -> bool:
    """Start, now and without waiting for it, the template that kernels of ``kernel_name``
    run with ``options`` fork from: a build calls this as it starts, so that its imports
    overlap Sphinx's own start-up. Never raises.

    :returns: whether such kernels fork (a template was started, or already runs).
    """
    from string import Template

    from jupyter_client.kernelspec import NoSuchKernel

    options = options if options is not None else ExecutionOptions()
    if options.kernel_start != "fork":
        return False
    try:
        spec = QuickSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return False
    if fork_refusal(spec) is not None:
        return False
    # the kernel's environment as its start will make it (LocalProvisioner.pre_launch)
    env = {**os.environ, **options.env}
    env.update({k: Template(v).safe_substitute(env) for k, v in (spec.env or {}).items()})
    env.pop("PYTHONEXECUTABLE", None)
    command = spec.argv[0]
    major, minor = sys.version_info[:2]
    if command in {"python", f"python{major}", f"python{major}.{minor}"}:
        command = sys.executable  # as jupyter_client's format_kernel_cmd does
    forking.template_for(forking.resolve_python(command, env), env, options.preload)
    return True


def kernel_manager_class(kernel_start: str) -> type[AsyncKernelManager]:
    """The kernel manager class for nbclient: forking ones for ``"fork"``; both wait for a
    kernel to be ready with :class:`QuickKernelClient`."""
    return ForkingKernelManager if kernel_start == "fork" else QuickKernelManager


def fork_config(preload: Sequence[str]) -> Config:
    """The traitlets configuration that hands ``preload`` to :class:`ForkSpecManager`."""
    return Config({"ForkSpecManager": {"preload": list(preload)}})


def _register() -> None:
    """Make the provisioner known even where the package's entry points are not installed
    (a source checkout on ``sys.path``)."""
    factory = KernelProvisionerFactory.instance()
    if PROVISIONER_NAME not in factory.provisioners:
        from importlib.metadata import EntryPoint

        factory.provisioners[PROVISIONER_NAME] = EntryPoint(
            PROVISIONER_NAME, _ENTRY_POINT, KernelProvisionerFactory.GROUP_NAME
        )

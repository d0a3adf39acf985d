"""Kernelspecs found as jupyter_client finds them, without importing IPython to do so.

jupyter_client's :class:`~jupyter_client.kernelspec.KernelSpecManager` adds IPython's own
``kernels`` folder to its search path by importing ``IPython.paths``, which imports all of
IPython: 0.1 s of every build that executes a notebook, spent in the build process for one
folder name. :class:`QuickSpecManager` names the same folder from the same environment
variables, and asks IPython only once something else has imported it.
"""

from __future__ import annotations

import os
import sys

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.paths import jupyter_path
from traitlets import default


def ipython_kernel_dirs() -> list[str]:
    """IPython's ``kernels`` folder, as ``IPython.paths.get_ipython_dir`` chooses it.

    ``IPYTHONDIR`` if set; else ``~/.ipython``, unless it does not exist and an IPython 1 era
    ``$XDG_CONFIG_HOME/ipython`` (default ``~/.config/ipython``) is a writable folder. A folder
    that does not exist is searched for nothing, as in jupyter_client (IPython would also
    create ``~/.ipython`` on the way: finding a kernel needs no such side effect).
    """
    if "IPython" in sys.modules:
        from IPython.paths import get_ipython_dir

        return [os.path.join(get_ipython_dir(), "kernels")]
    chosen = os.environ.get("IPYTHONDIR")
    if chosen is None:
        chosen = os.path.join(os.path.expanduser("~"), ".ipython")
        config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(
            os.path.expanduser("~"), ".config"
        )
        legacy = os.path.join(config, "ipython")
        if (
            os.name == "posix"
            and not os.path.exists(chosen)
            and not os.path.islink(legacy)
            and all(os.path.isdir(d) and os.access(d, os.W_OK) for d in (config, legacy))
        ):
            chosen = legacy
    return [os.path.join(os.path.normpath(os.path.expanduser(chosen)), "kernels")]


class QuickSpecManager(KernelSpecManager):  # type: ignore[misc]
    """jupyter_client's kernelspec manager, searching the same folders without IPython."""

    @default("kernel_dirs")
    def _kernel_dirs_default(self) -> list[str]:
        return [*jupyter_path("kernels"), *ipython_kernel_dirs()]

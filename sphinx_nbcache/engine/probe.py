"""Code run silently inside a Python kernel to record what the notebook's run reads and writes.

Installed before the first cell with ``silent=True`` (no outputs, no execution count, no
history), it adds an audit hook on ``open`` (and on ``os.rename``, whose destination is a file
written) and keeps the sets in a module that is not in the user namespace. After the last
cell a ``user_expressions`` request fetches the report. Files written other than from Python
(a subprocess, a C library) are not seen here; the executor compares the folder for them.
"""

from __future__ import annotations

import ast
import json
from typing import Any

SETUP = r"""
def __nbcache_install():
    import os, sys, types
    if "_nbcache_probe" in sys.modules:
        return
    reads, writes = set(), set()
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

    def hook(event, args, _abspath=os.path.abspath, _fspath=os.fspath, _decode=os.fsdecode):
        if event == "open":
            path, mode, flags = args
        elif event == "os.rename":  # os.rename and os.replace: a file moved into place
            path, mode, flags = args[1], "w", None
        else:
            return
        if isinstance(path, int):
            return
        try:
            path = _fspath(path)
            if isinstance(path, bytes):
                path = _decode(path)
            path = _abspath(path)
        except Exception:
            return
        if mode is None:
            written = bool((flags or 0) & write_flags)
        else:
            written = any(c in mode for c in "wax+")
        (writes if written else reads).add(path)

    baseline = set(sys.modules)  # the kernel's own imports are not the notebook's

    def report():
        import json
        modules = {}
        for name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None)
            if name not in baseline and isinstance(origin, str):
                modules[name] = origin
        stdlib = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
        tops = sorted({n.partition(".")[0] for n in modules} - stdlib)
        kernel = sys.modules.get("ipykernel")
        return json.dumps({
            "reads": sorted(reads),
            "writes": sorted(writes),
            "modules": modules,
            "imported": tops,
            "python": sys.version.split()[0],
            "executable": sys.executable,
            "ipykernel": getattr(kernel, "__version__", None),
        })

    probe = types.ModuleType("_nbcache_probe")
    probe.report = report
    sys.modules["_nbcache_probe"] = probe
    sys.addaudithook(hook)

__nbcache_install()
del __nbcache_install
"""

REPORT_EXPRESSION = "__import__('_nbcache_probe').report()"


def parse_report(user_expression: dict[str, Any]) -> dict[str, Any] | None:
    """Decode the ``user_expressions`` entry returned by the kernel (``None`` if it failed)."""
    if user_expression.get("status") != "ok":
        return None
    text = user_expression.get("data", {}).get("text/plain")
    if not isinstance(text, str):
        return None
    try:
        return json.loads(ast.literal_eval(text))
    except (ValueError, SyntaxError):
        return None

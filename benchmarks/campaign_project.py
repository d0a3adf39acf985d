"""The tiny generated project of the issue 14 campaign scripts (concurrency and kill -9).

``count`` notebooks ``nb0.ipynb``..., each a single code cell that appends its name and its
parent's pid (the process that started the kernel: a build or ``nbcache execute``) to the file
named by ``$CAMPAIGN_EXEC_LOG``, so that the kernels themselves count executions and say who
ran them, and prints ``<name> says <value>``. Changing the value changes the cell's source,
hence the cache key: every notebook is then stale. Used by ``campaign_concurrency.py`` and
``campaign_kill.py``; not a script of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

#: the environment variable naming the file every kernel appends its notebook's name to
EXEC_LOG_VAR = "CAMPAIGN_EXEC_LOG"

CONF = """\
extensions = ["sphinx_nbcache"]
exclude_patterns = ["_build"]
nbcache_execution_mode = "cache"
"""

#: a line of a build's or a command's output that is a failure, whatever else it says
ERROR_LINE = re.compile(r"Traceback|ERROR|Exception occurred|crash|Error:", re.IGNORECASE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def tool(name: str) -> str:
    """The path of ``name`` (``sphinx-build``, ``nbcache``) next to this Python."""
    return str(Path(sys.executable).parent / name)


def names(count: int) -> list[str]:
    return [f"nb{n}" for n in range(count)]


def notebook(name: str, value: str, sleep: float = 0.0, artefact_mb: int = 0) -> dict:
    """The notebook ``name`` printing ``value``, after ``sleep`` seconds; with
    ``artefact_mb``, it first writes that many MB to ``<name>.bin`` beside it (an artefact
    that makes the store's write of its record long enough to be caught)."""
    # the kernel's parent, and its parent's parent: a forked kernel's parent is the warm
    # template, whose parent is the process that ran the notebook
    code = [
        "import os\n",
        "_up = open(f'/proc/{os.getppid()}/stat').read().rsplit(')', 1)[1].split()[1]\n",
        f"open(os.environ[{EXEC_LOG_VAR!r}], 'a').write(f'{name} {{os.getppid()}} {{_up}}\\n')\n",
    ]
    if sleep:
        code += ["import time\n", f"time.sleep({sleep})\n"]
    if artefact_mb:
        code.append(f"open({name + '.bin'!r}, 'wb').write(b'x' * {artefact_mb << 20})\n")
    code.append(f"print({name!r}, 'says', {value!r})")
    return {
        "cells": [
            {"cell_type": "markdown", "id": "title", "metadata": {}, "source": [f"# Page {name}"]},
            {
                "cell_type": "code",
                "id": "run",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": code,
            },
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_notebook(
    src: Path, name: str, value: str, sleep: float = 0.0, artefact_mb: int = 0
) -> None:
    """Write one notebook with a modification time later than anything built so far."""
    path = src / f"{name}.ipynb"
    path.write_text(json.dumps(notebook(name, value, sleep, artefact_mb), indent=1))
    later = time.time() + 2  # Sphinx compares mtimes: an edit within a second must still count
    os.utime(path, (later, later))


def write_project(src: Path, count: int, value: str, sleep: float = 0.0) -> list[str]:
    """A fresh project in ``src`` (its cache is ``src/.nbcache``); returns the notebook names.

    Each notebook sleeps ``sleep`` seconds, so that the runs of processes started together
    overlap."""
    src.mkdir(parents=True, exist_ok=True)
    (src / "conf.py").write_text(CONF)
    toc = "\n".join(f"   {n}" for n in names(count))
    (src / "index.rst").write_text(f"Campaign\n========\n\n.. toctree::\n\n{toc}\n")
    for name in names(count):
        write_notebook(src, name, value, sleep)
    return names(count)


def executed(log: Path) -> list[tuple[str, list[int]]]:
    """(notebook, [kernel's parent pid, its parent's]) of each execution since the log was
    last emptied; empties it."""
    runs = []
    for line in log.read_text().splitlines():
        name, *pids = line.split()
        runs.append((name, [int(pid) for pid in pids if pid.isdigit()]))
    log.write_text("")
    return runs


def page_says(html: Path, name: str) -> str | None:
    """The value the page of ``name`` shows (``None``: no page, or no output on it)."""
    try:
        text = (html / f"{name}.html").read_text("utf-8")
    except OSError:
        return None
    match = re.search(rf"{name} says (\w+)", text)
    return match.group(1) if match else None


@dataclass
class Output:
    """What one process printed, split into what the campaign counts."""

    label: str
    returncode: int
    text: str
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, label: str, returncode: int, text: str) -> Output:
        lines = [ANSI.sub("", line) for line in text.splitlines()]
        warnings = [line for line in lines if "WARNING" in line]
        errors = [line for line in lines if ERROR_LINE.search(line) and "WARNING" not in line]
        if returncode != 0 and not errors:
            errors = [f"exit code {returncode}"]
        return cls(label, returncode, text, warnings, errors)


def build_command(sphinx_build: str, src: Path, out: Path, *options: str) -> list[str]:
    return [
        sphinx_build,
        "-b",
        "html",
        *options,
        "-d",
        str(out / "doctrees"),
        str(src),
        str(out / "html"),
    ]


def kernel_pids(marker: str) -> list[int]:
    """The pids of running ipykernel processes whose environment holds ``marker``.

    The campaign gives its processes a private ``TMPDIR``: a kernel inherits it, so its
    environment tells our kernels from those of other users of the machine.
    """
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"ipykernel" not in cmdline:
                continue
            if marker.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def running(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running (an exited process not yet reaped is not)."""
    return [pid for pid in pids if Path(f"/proc/{pid}").exists() and not _zombie(pid)]


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until the processes ``pids`` ended (at most ``timeout`` s); returns those alive."""
    deadline = time.monotonic() + timeout
    alive = running(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = running(alive)
    return alive


def _zombie(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return False


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> Output:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    return Output.of(Path(cmd[0]).name, proc.returncode, proc.stdout + proc.stderr)

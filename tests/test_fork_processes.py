"""No process is left behind by forked kernels (issue 11): after a run, a cell timeout, a
kernel that dies, the end of the build, and ``kill -9`` of the build.

Each notebook writes its kernel's pid, and its parent's (the template's), to files; the test
then checks with /proc that they are gone. The waits are bounds against hanging, not timings.
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from forkutil import all_gone, gone, run, wait_for

from sphinx_nbcache.engine import forking

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux", reason="reads /proc; forks and kill -9"
)

PIDS = (
    "import os, pathlib\n"
    "pathlib.Path('kernel.pid').write_text(str(os.getpid()))\n"
    "pathlib.Path('template.pid').write_text(str(os.getppid()))\n"
)


def _pids(folder: Path) -> tuple[int, int]:
    return int((folder / "kernel.pid").read_text()), int((folder / "template.pid").read_text())


def test_kernel_gone_after_a_run_and_template_with_the_build(tmp_path: Path):
    result = run(tmp_path, PIDS, "print('done')")
    assert result.ok, result.error
    kernel, template = _pids(tmp_path)
    assert template != os.getpid()
    wait_for(lambda: gone(kernel), "the kernel outlived its run")
    assert not gone(template)  # warm, for the next kernel
    forking.shutdown_templates()  # what the end of the build does (at exit too)
    wait_for(lambda: gone(template), "the template outlived the build")


def test_kernel_gone_after_a_cell_timeout(tmp_path: Path):
    result = run(tmp_path, PIDS + "import time; time.sleep(120)", timeout=3)
    assert not result.ok and result.error is not None
    assert result.error.ename == "CellTimeoutError", result.error
    kernel, template = _pids(tmp_path)
    wait_for(lambda: gone(kernel), "the timed-out kernel is still running")
    assert not gone(template)


def test_kernel_that_dies_is_told_and_the_next_one_forks(tmp_path: Path):
    result = run(tmp_path, PIDS + "os._exit(3)", "print('never')")
    assert not result.ok and result.error is not None
    assert result.error.ename == "DeadKernelError", result.error
    kernel, template = _pids(tmp_path)
    assert gone(kernel)
    again = run(tmp_path, PIDS)
    assert again.ok, again.error
    second, same_template = _pids(tmp_path)
    assert same_template == template and second != kernel


DRIVER = """\
import sys
from nbformat import v4
from sphinx_nbcache.engine.executor import execute_notebook

nb = v4.new_notebook(cells=[v4.new_code_cell(sys.argv[2])])
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
execute_notebook(nb, sys.argv[1])
"""


def test_nothing_left_after_the_build_exits(tmp_path: Path):
    build = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path), PIDS], timeout=300)
    assert build.returncode == 0
    kernel, template = _pids(tmp_path)
    wait_for(lambda: all_gone([template, kernel]), "a process outlived the build")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "term"])
def test_nothing_left_after_the_build_is_killed(tmp_path: Path, how: signal.Signals):
    code = PIDS + (
        "import subprocess, time\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        "pathlib.Path('grandchild.pid').write_text(str(child.pid))\n"
        "time.sleep(300)"
    )
    build = subprocess.Popen([sys.executable, "-c", DRIVER, str(tmp_path), code])
    try:
        wait_for(lambda: (tmp_path / "grandchild.pid").exists(), "the kernel never ran", 120)
        kernel, template = _pids(tmp_path)
        grandchild = int((tmp_path / "grandchild.pid").read_text())
        assert not gone(template) and template != build.pid
        build.send_signal(how)
        build.wait(30)
        wait_for(lambda: all_gone([template, kernel, grandchild]), "a process outlived the build")
    finally:
        if build.poll() is None:
            build.kill()


def test_warm_up_starts_the_template_the_kernels_fork_from(tmp_path: Path):
    from sphinx_nbcache.engine.provisioner import warm_up

    forking.shutdown_templates()
    assert warm_up("python3")
    (started,) = forking._templates.values()
    assert started.pid is not None and not gone(started.pid)
    result = run(tmp_path, PIDS)
    assert result.ok, result.error
    assert _pids(tmp_path)[1] == started.pid
    assert list(forking._templates.values()) == [started]  # no second template


def test_a_reused_pid_is_not_taken_for_an_earlier_childs_exit(tmp_path: Path):
    """pids come round again (32768 of them here): a kernel given the pid of one that exited
    earlier is alive, not dead on arrival."""
    result = run(tmp_path, PIDS)
    assert result.ok, result.error
    kernel, template_pid = _pids(tmp_path)
    (template,) = [t for t in forking._templates.values() if t.pid == template_pid]
    wait_for(lambda: template.exit_code(kernel) is not None, "its exit was never told")
    template._dispatch({"id": -1, "pid": kernel})  # the template's reply for a new child
    assert template.exit_code(kernel) is None

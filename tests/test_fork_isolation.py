"""Two notebooks forked from one template share nothing a notebook made (issue 11).

Real kernels: the first notebook leaves every kind of state behind (a variable, a module in
``sys.modules``, an environment variable, another working folder, a ``sys.path`` entry, an open
file, a drawn random number); the second, forked from the same template, looks for each.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from forkutil import run, stdout

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")

LEAVE = """\
import json, os, random, sys, types
import numpy
leaked = 42
sys.modules["nbcache_leak"] = types.ModuleType("nbcache_leak")
os.environ["NBCACHE_LEAK"] = "1"
os.makedirs("elsewhere", exist_ok=True)
os.chdir("elsewhere")
sys.path.append("/nbcache-leak")
kept_open = open(os.path.join(os.environ["OUT"], "kept-open.txt"), "w")
print(json.dumps({"ppid": os.getppid(), "pid": os.getpid(), "random": random.random(),
                  "numpy": float(numpy.random.random())}))
"""

LOOK = """\
import json, os, random, sys
import numpy
fds = []
for fd in os.listdir("/proc/self/fd"):
    try:
        fds.append(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        pass
print(json.dumps({
    "ppid": os.getppid(), "pid": os.getpid(), "random": random.random(),
    "numpy": float(numpy.random.random()),
    "variable": "leaked" in globals(), "module": "nbcache_leak" in sys.modules,
    "env": "NBCACHE_LEAK" in os.environ, "cwd": os.getcwd(),
    "path": "/nbcache-leak" in sys.path, "open": [f for f in fds if "kept-open" in f],
}))
"""


@pytest.mark.parametrize("preload", [(), ("numpy",)], ids=["plain", "numpy-preloaded"])
def test_second_notebook_sees_nothing_of_the_first(tmp_path: Path, preload: tuple[str, ...]):
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir()
    second_dir.mkdir()
    env = {"OUT": str(tmp_path)}
    first = run(first_dir, LEAVE, "import time; time.sleep(0.2)", env=env, preload=preload)
    second = run(second_dir, LOOK, env=env, preload=preload)
    assert first.ok, first.error
    assert second.ok, second.error
    one, two = json.loads(stdout(first)[0]), json.loads(stdout(second)[0])

    # both forked, from the same template (their parent), not spawned by this process
    assert one["ppid"] == two["ppid"] != os.getpid()
    assert one["pid"] != two["pid"]
    assert two == {
        **two,
        "variable": False,
        "module": False,
        "env": False,
        "cwd": str(second_dir),
        "path": False,
        "open": [],
    }
    # each generator reseeded in each kernel: the template's state is not drawn twice
    assert one["random"] != two["random"]
    assert one["numpy"] != two["numpy"]


def test_the_kernel_is_set_up_as_a_spawned_one(tmp_path: Path):
    """What a kernel sees of its process: the same whether it was forked or spawned."""
    code = (
        "import json, os, sys\n"
        "print(json.dumps({'argv0': sys.argv[0], 'path': sys.path, 'cwd': os.getcwd(),"
        " 'name': __name__, 'env': sorted(os.environ), 'mine': os.environ.get('MINE'),"
        " 'stdout': type(sys.stdout).__name__, 'sid': os.getsid(0) == os.getpid()}))"
    )
    seen = {}
    for start in ("fork", "spawn"):
        result = run(tmp_path, code, env={"MINE": "yes"}, kernel_start=start)
        assert result.ok, result.error
        seen[start] = json.loads(stdout(result)[0])
    assert seen["fork"] == seen["spawn"]
    assert seen["fork"]["mine"] == "yes"
    assert seen["fork"]["path"][0] == str(tmp_path) or "" in seen["fork"]["path"]
    assert sys.executable  # the template runs this interpreter (the kernelspec's)


def test_kernels_forked_side_by_side(tmp_path: Path):
    """Four notebooks at once ask one template for their kernels at the same moment."""
    import asyncio

    from forkutil import notebook

    from sphinx_nbcache.engine.executor import async_execute_notebook
    from sphinx_nbcache.engine.options import ExecutionOptions

    code = "import json, os; print(json.dumps([os.getpid(), os.getppid(), os.getcwd()]))"
    folders = [tmp_path / f"nb{i}" for i in range(4)]
    for folder in folders:
        folder.mkdir()

    async def all_four():
        runs = [async_execute_notebook(notebook(code), f, ExecutionOptions()) for f in folders]
        return await asyncio.gather(*runs)

    results = asyncio.run(all_four())
    assert all(r.ok for r in results), [r.error for r in results]
    seen = [json.loads(stdout(r)[0]) for r in results]
    assert len({pid for pid, _, _ in seen}) == 4
    assert len({ppid for _, ppid, _ in seen}) == 1 and seen[0][1] != os.getpid()
    assert [cwd for _, _, cwd in seen] == [str(f) for f in folders]

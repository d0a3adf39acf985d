"""QuickSpecManager searches the folders jupyter_client's KernelSpecManager searches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: our folders first (IPython not imported yet), then jupyter_client's (which imports it)
COMPARE = """
import json, sys
from sphinx_nbcache.engine.kernelspecs import QuickSpecManager
ours = QuickSpecManager().kernel_dirs
imported = "IPython" in sys.modules
from jupyter_client.kernelspec import KernelSpecManager
print(json.dumps({"ours": ours, "theirs": KernelSpecManager().kernel_dirs, "imported": imported}))
"""


def _dirs(env: dict[str, str]) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in {"IPYTHONDIR", "XDG_CONFIG_HOME"}}
    done = subprocess.run(
        [sys.executable, "-c", COMPARE],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("case", ["ipythondir", "home", "home-without-ipython", "xdg-legacy"])
def test_the_same_kernel_folders_without_importing_ipython(tmp_path: Path, case: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "JUPYTER_PATH": str(tmp_path / "extra")}
    if case == "ipythondir":
        env["IPYTHONDIR"] = str(tmp_path / "ip")
    if case == "home":
        (home / ".ipython").mkdir()
    if case == "xdg-legacy":
        env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
        (tmp_path / "config" / "ipython").mkdir(parents=True)
    dirs = _dirs(env)
    assert dirs["imported"] is False
    assert dirs["ours"] == dirs["theirs"]
    assert any(d.endswith("kernels") for d in dirs["ours"])

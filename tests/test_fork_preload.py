"""Preloaded modules behave as imported by the notebook, settings from its folder included.

matplotlib reads ``matplotlibrc`` from the working folder, and ``$MPLBACKEND``, when it is
imported: preloaded, it was imported in the template's folder, so each forked kernel reads
them again in its own. Two notebooks in two folders with different ``matplotlibrc`` files,
both forked from one template that preloaded matplotlib, each see their own.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest
from forkutil import run, stdout

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform"),
    pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="no matplotlib"),
]

LOOK = """\
import json, os, sys
preloaded = "matplotlib.pyplot" in sys.modules
import matplotlib, matplotlib.pyplot as plt
print(json.dumps({"preloaded": preloaded, "backend": matplotlib.get_backend(),
                  "dpi": plt.rcParams["figure.dpi"], "ppid": os.getppid(),
                  "defaults": matplotlib.rcParamsOrig["figure.dpi"]}))
"""


def test_preloaded_matplotlib_reads_each_notebooks_matplotlibrc(tmp_path: Path):
    seen = []
    for dpi in (42, 77):
        folder = tmp_path / f"dpi{dpi}"
        folder.mkdir()
        (folder / "matplotlibrc").write_text(f"figure.dpi: {dpi}\n")
        result = run(folder, LOOK, preload=("matplotlib.pyplot",))
        assert result.ok, result.error
        seen.append(json.loads(stdout(result)[0]))
    assert [s["preloaded"] for s in seen] == [True, True]
    assert seen[0]["ppid"] == seen[1]["ppid"] != os.getpid()  # one template
    assert [(s["dpi"], s["defaults"]) for s in seen] == [(42.0, 42.0), (77.0, 77.0)]
    assert {s["backend"] for s in seen} == {"module://matplotlib_inline.backend_inline"}


def test_preloaded_matplotlib_follows_the_notebooks_mplbackend(tmp_path: Path):
    result = run(tmp_path, LOOK, preload=("matplotlib.pyplot",), env={"MPLBACKEND": "agg"})
    assert result.ok, result.error
    seen = json.loads(stdout(result)[0])
    assert seen["preloaded"] and seen["backend"] == "agg"


def test_preloaded_modules_count_as_imported(tmp_path: Path):
    """The probe cannot tell a preloaded module from the kernel's own: the record names it,
    so that an upgrade of it executes the notebook again."""
    result = run(tmp_path, "import numpy", preload=("numpy",))
    assert result.ok, result.error
    assert "numpy" in result.io["imported"]

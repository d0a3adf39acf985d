"""A forked kernel's outputs are a spawned kernel's, cell by cell (issue 11).

Prints, rich display data, an error kept as an output (allow-errors), a stderr stream and a
matplotlib figure: the same notebook runs spawned, forked, and forked from a template that
preloaded numpy and matplotlib's pyplot; the outputs must be equal once execution counts of
nothing and timings are set aside (PNG bytes included: Agg draws the same pixels).
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import os
from pathlib import Path

import pytest
from forkutil import notebook

from sphinx_nbcache.engine.executor import execute_notebook
from sphinx_nbcache.engine.options import ExecutionOptions

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")

CELLS = [
    "print('hello'); import sys; print('to stderr', file=sys.stderr)",
    "from IPython.display import HTML, Markdown, display\n"
    "display(HTML('<b>bold</b>'), Markdown('*it*'))\n"
    "{'a': 1}",
    "1 / 0",
    "import os, sys; print(sorted(k for k in sys.modules if k.startswith('nbcache')))",
]
MPL_CELLS = [
    "import matplotlib\nimport matplotlib.pyplot as plt\n"
    "print(matplotlib.get_backend(), plt.rcParams['lines.linewidth'])\n"
    "plt.plot([1, 3, 2]); plt.title('t'); plt.show()",
]
HAS_MPL = importlib.util.find_spec("matplotlib") is not None


def _outputs(nb):
    """Each cell's execution count and outputs; a stream's text in one piece (where the
    kernel cuts it depends on when it flushes, a matter of timing)."""
    out = []
    for cell in nb.cells:
        outputs: list = []
        for o in copy.deepcopy(cell.outputs):
            if o.get("output_type") == "error":
                o["traceback"] = [line for line in o["traceback"] if "Cell In[" not in line]
            last = outputs[-1] if outputs else {}
            if o.get("output_type") == "stream" and last.get("name") == o.get("name"):
                last["text"] += o["text"]
                continue
            outputs.append(o)
        out.append((cell.execution_count, outputs))
    return out


@pytest.mark.parametrize("preload", [(), ("numpy", "matplotlib.pyplot")], ids=["warm", "preload"])
def test_forked_outputs_equal_spawned(
    tmp_path: Path, preload: tuple[str, ...], caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="sphinx_nbcache.engine.forking")
    if preload and not HAS_MPL:
        pytest.skip("matplotlib is not installed")
    cells = CELLS + (MPL_CELLS if HAS_MPL else [])
    (tmp_path / "matplotlibrc").write_text("lines.linewidth: 5\n")
    results = {}
    for start in ("spawn", "fork"):
        nb = notebook(*cells)
        options = ExecutionOptions(
            kernel_start=start, allow_errors=True, preload=preload if start == "fork" else ()
        )
        result = execute_notebook(nb, tmp_path, options)
        assert result.ok, result.error
        results[start] = _outputs(result.nb)
    assert results["fork"] == results["spawn"]
    assert not caplog.records  # forked indeed: no fallback to a normal start
    spawned = results["spawn"]
    assert spawned[2][1][0]["ename"] == "ZeroDivisionError"
    assert {o.get("name") for o in spawned[0][1]} == {"stdout", "stderr"}
    if HAS_MPL:
        text, image = spawned[-1][1]
        assert text["text"] == "module://matplotlib_inline.backend_inline 5.0\n"
        assert "image/png" in image["data"]

"""Issue 14, the campaign: a build of ~30 generated odd notebooks never crashes, every
problem is a warning that names its file, and every page is written."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from fuzz_notebooks import write_project


@pytest.mark.parametrize("seed", [1])
def test_fuzzed_notebooks_render_with_located_warnings(make_app, tmp_path: Path, seed: int):
    src = tmp_path / "src"
    names = write_project(src, seed)
    warnings = StringIO()
    app = make_app("html", srcdir=src, warning=warnings)
    app.build()
    out = Path(app.outdir)
    missing = [n for n in names if not (out / f"{n}.html").is_file()]
    assert missing == []
    lines = [line for line in warnings.getvalue().splitlines() if "WARNING" in line]
    unlocated = [line for line in lines if not re.search(r"fuzz\d\d", line)]
    assert unlocated == [], unlocated
    assert "Traceback" not in warnings.getvalue()

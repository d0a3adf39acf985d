#!/usr/bin/env python3
"""Are a forked kernel's outputs a spawned kernel's, on the bench corpus? (issue 11)

Generates the shared bench corpus (``../shared/bench/make_corpus.py``, 24 notebooks that
import numpy and matplotlib, in .ipynb, MyST .md and percent .py), then executes every
notebook with the engine three ways: ``spawn`` (a new process), ``fork`` (from the warm
template) and ``preload`` (forked from a template that imported numpy and matplotlib.pyplot),
in the notebook's folder, errors kept as outputs. It compares each cell's outputs with the
spawned run's, after setting aside what differs from one run to the next whatever the start:

- the corpus's per-execution stamp (``EXEC-STAMP <uuid>``) and its CPU timings
  (``took 0.12 s CPU``), memory addresses (``0x7f...``);
- the cell's execution metadata (timings), and where a stream is cut in pieces.

Images (PNG bytes) are compared exactly. Prints one line per difference and a summary; exits
1 if any difference is left. Run with the project's venv::

    .venv/bin/python benchmarks/fork_outputs.py            # -n 24 notebooks, seed 1234
    .venv/bin/python benchmarks/fork_outputs.py -n 4 --keep /tmp/corpus
"""

from __future__ import annotations

import argparse
import copy
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jupytext
import nbformat

from sphinx_nbcache.engine.executor import execute_notebook
from sphinx_nbcache.engine.forking import shutdown_templates
from sphinx_nbcache.engine.options import ExecutionOptions

# ../shared/bench beside the checkout (or beside a folder holding it, for a git worktree)
BENCH = next(
    (p / "shared" / "bench" for p in Path(__file__).resolve().parents if (p / "shared").is_dir()),
    Path("../shared/bench"),
)
MODES = {
    "spawn": {"kernel_start": "spawn"},
    "fork": {"kernel_start": "fork"},
    "preload": {"kernel_start": "fork", "preload": ("numpy", "matplotlib.pyplot")},
}
VOLATILE = [
    (re.compile(r"EXEC-STAMP [0-9a-f]{32}"), "EXEC-STAMP <uuid>"),
    (re.compile(r"\d+\.\d+ s CPU"), "<t> s CPU"),
    (re.compile(r"0x[0-9a-f]{6,}"), "0x<address>"),
]


def make_corpus(folder: Path, n: int, seed: int) -> None:
    command = [sys.executable, str(BENCH / "make_corpus.py"), str(folder), "--peer", "custom"]
    command += ["--formats", "ipynb,md,pct", "-n", str(n), "--seed", str(seed), "--force"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def read(path: Path) -> nbformat.NotebookNode:
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    return jupytext.read(path)


def _text(value: Any) -> str:
    text = "".join(value) if isinstance(value, list) else str(value)
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def normalised(nb: nbformat.NotebookNode) -> list[list[dict[str, Any]]]:
    """Each code cell's outputs, volatile parts replaced, streams of one name joined."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs: list[dict[str, Any]] = []
        for output in copy.deepcopy(cell.outputs):
            if output.get("output_type") == "stream":
                output["text"] = _text(output["text"])
                last = outputs[-1] if outputs else {}
                if last.get("output_type") == "stream" and last.get("name") == output["name"]:
                    last["text"] += output["text"]
                    continue
            elif output.get("output_type") == "error":
                output["traceback"] = [_text(line) for line in output["traceback"]]
            elif "data" in output:
                data = output["data"]
                output["data"] = {k: v if "image/" in k else _text(v) for k, v in data.items()}
            outputs.append(output)
        cells.append(outputs)
    return cells


def differences(reference: list, other: list) -> list[str]:
    """Where ``other`` differs from ``reference``, one line per cell and output."""
    if len(reference) != len(other):
        return [f"{len(other)} code cells, not {len(reference)}"]
    found = []
    for index, (want, got) in enumerate(zip(reference, other, strict=True)):
        if want == got:
            continue
        if len(want) != len(got):
            found.append(f"cell {index}: {len(got)} outputs, not {len(want)}: {got!r:.300}")
            continue
        for k, (a, b) in enumerate(zip(want, got, strict=True)):
            if a != b:
                found.append(f"cell {index} output {k}: {b!r:.300} instead of {a!r:.300}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=24, help="notebooks in the corpus")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--keep", type=Path, help="generate the corpus here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch) / "corpus"
        make_corpus(root, args.n, args.seed)
        paths = sorted(p for p in (root / "notebooks").iterdir() if p.name.startswith("nb_"))
        total = 0
        for path in paths:
            results = {}
            for mode, settings in MODES.items():
                options = ExecutionOptions(allow_errors=True, **settings)  # type: ignore[arg-type]
                result = execute_notebook(read(path), path.parent, options)
                if not result.ok:
                    print(f"{path.name} {mode}: failed: {result.error}")
                    total += 1
                results[mode] = normalised(result.nb)
            images = sum(
                1 for cell in results["spawn"] for o in cell if "image/png" in o.get("data", {})
            )
            for mode in ("fork", "preload"):
                found = differences(results["spawn"], results[mode])
                total += len(found)
                for line in found:
                    print(f"{path.name} {mode}: {line}")
            cells = len(results["spawn"])
            print(f"{path.name}: {cells} code cells, {images} images compared", flush=True)
    shutdown_templates()
    print(f"{len(paths)} notebooks, {total} difference(s) forked or preloaded vs spawned")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())

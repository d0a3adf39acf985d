"""A seeded generator of odd but parseable notebooks, for the reliability campaign (issue 14).

Not collected as tests: ``tests/test_reliability_fuzz.py`` and ``benchmarks/campaign_fuzz.py``
use it. Every notebook is valid JSON with ``nbformat: 4``; its contents are not trusted.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

ODD_TEXT = [
    "",
    " ",
    "\u202eright-to-left\u202c",
    "zero\u200bwidth",
    "emoji \U0001f600 and combining e\u0301",
    "\x1b[31mred\x1b[0m \x1b[1;4mbold\x1b[0m \x1b[38;5;200mx",
    "<script>alert(1)</script>",
    "tab\tnul-free\r\nCRLF",
    "\ud7ff\ue000\ufffd",
]


def _text(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.1:
        return "x" * rng.choice([0, 1, 10_000, 200_000])
    return rng.choice(ODD_TEXT) + str(rng.randint(0, 9))


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.choice(["str", "int", "float", "bool", "none", "list", "dict"])
    if depth > 2 or kind in ("str",):
        return _text(rng)
    if kind == "int":
        return rng.randint(-(2**40), 2**40)
    if kind == "float":
        return rng.choice([0.5, -1e300, 1e-300])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "list":
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {_text(rng)[:20]: _value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _metadata(rng: random.Random) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key in ("tags", "nbcache", "jupyter", "scrolled", "collapsed", "nbsphinx"):
        if rng.random() < 0.3:
            meta[key] = _value(rng)
    return meta


def _data_bundle(rng: random.Random) -> dict[str, Any]:
    mime = rng.choice(
        [
            "text/plain",
            "text/html",
            "text/markdown",
            "image/png",
            "image/jpeg",
            "image/svg+xml",
            "text/latex",
            "application/json",
            "application/x-odd",
        ]
    )
    if mime in ("image/png", "image/jpeg"):
        value: Any = rng.choice(["not base64 !!", "", "iVBORw0KGgo=", "===="])
    elif mime == "application/json":
        value = _value(rng)
    else:
        value = _text(rng)
    return {mime: value, **({"text/plain": _text(rng)} if rng.random() < 0.5 else {})}


def _output(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["stream", "display_data", "execute_result", "error"])
    if kind == "stream":
        return {"output_type": kind, "name": rng.choice(["stdout", "stderr"]), "text": _text(rng)}
    if kind == "error":
        return {
            "output_type": kind,
            "ename": _text(rng),
            "evalue": _text(rng),
            "traceback": [_text(rng) for _ in range(rng.randint(0, 3))],
        }
    out = {"output_type": kind, "data": _data_bundle(rng), "metadata": _metadata(rng)}
    if kind == "execute_result":
        out["execution_count"] = rng.choice([None, 1, 10**9])
    return out


def _cell(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["code", "code", "markdown", "raw"])
    cell: dict[str, Any] = {"cell_type": kind, "metadata": _metadata(rng), "source": _text(rng)}
    if kind == "code":
        cell["execution_count"] = rng.choice([None, 1])
        cell["outputs"] = [_output(rng) for _ in range(rng.randint(0, 4))]
    if kind == "markdown" and rng.random() < 0.5:
        cell["source"] = "# Title " + _text(rng)
    return cell


def notebook(rng: random.Random) -> dict[str, Any]:
    """One random notebook (nbformat 4, a random minor version)."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Fuzzed"}]
    cells += [_cell(rng) for _ in range(rng.randint(0, 8))]
    return {
        "nbformat": 4,
        "nbformat_minor": rng.choice([0, 1, 2, 4, 5]),
        "metadata": _metadata(rng),
        "cells": cells,
    }


def write_project(folder: Path, seed: int, count: int = 30) -> list[str]:
    """Write ``count`` notebooks + index + conf (execution off); return the docnames."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"fuzz{i:02d}" for i in range(count)]
    for name in names:
        (folder / f"{name}.ipynb").write_text(json.dumps(notebook(rng)), "utf-8")
    toc = "\n".join(f"   {n}" for n in names)
    (folder / "index.rst").write_text(f"Fuzz\n====\n\n.. toctree::\n\n{toc}\n", "utf-8")
    (folder / "conf.py").write_text(
        'extensions = ["sphinx_nbcache"]\nexclude_patterns = ["_build"]\n'
        'nbcache_execution_mode = "off"\n',
        "utf-8",
    )
    return names

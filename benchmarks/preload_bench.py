#!/usr/bin/env python3
"""What does ``nbcache_preload = ["numpy", "matplotlib.pyplot"]`` save on the bench corpus?

Builds the shared bench corpus (``../shared/bench/make_corpus.py``, 24 notebooks that import
numpy and matplotlib) with sphinx-nbcache's default configuration (``nbcache``) and with the
preload (``preload``), and, given ``--mystnb VENV``, with MyST-NB + jupyter-cache and
``sphinx-build -j 2`` (``mystnb-j2``, the issue's reference), round-robin, ``--reps`` times:

- *cold*: ``_build`` and the cache removed, then a build;
- *code edit*: one code cell of the corpus's target notebook edited
  (``make_corpus.py --mutate code``), then a build; the edit must show in its page.

Each build's wall seconds and CPU seconds (user + system of sphinx-build and every process
it reaped: kernels and templates included), the medians, and the ratios to MyST-NB. After
each round's cold builds it checks that ``nbcache`` and ``preload`` made the same pages: each
notebook page's body, with the corpus's per-execution stamp and CPU timings set aside and the
images compared by count and size. The build environment is the shared bench's
(``run_peers.py``'s ``build_env``: its own ``MPLCONFIGDIR``, ``IPYTHONDIR``...). Run with
the project's venv::

    .venv/bin/python benchmarks/preload_bench.py --reps 3 \\
        --mystnb /tmp/bench-work/venvs/mystnb --work /tmp/preload-bench
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bs4 import BeautifulSoup

HERE = Path(__file__).resolve().parent
# ../shared/bench beside the checkout (or beside a folder holding it, for a git worktree)
BENCH = next(
    (p / "shared" / "bench" for p in HERE.parents if (p / "shared").is_dir()),
    Path("../shared/bench"),
)
PRELOAD = 'nbcache_preload = ["numpy", "matplotlib.pyplot"]\n'
VOLATILE = [
    (re.compile(r"EXEC-STAMP [0-9a-f]{32}"), "EXEC-STAMP <uuid>"),
    (re.compile(r"\d+\.\d+ s CPU"), "<t> s CPU"),
]


def peers(work: Path, mystnb: Path | None) -> dict[str, dict]:
    conf = HERE / "nbcache_conf.py"
    (work / "preload_conf.py").write_text(conf.read_text() + PRELOAD)
    ours = ["--peer", "custom", "--extensions", "sphinx_nbcache", "--formats", "ipynb,md,pct"]
    bin_ = Path(sys.executable).parent
    found = {
        "nbcache": {"corpus": [*ours, "--conf-extra", str(conf)], "bin": bin_, "jobs": 1},
        "preload": {
            "corpus": [*ours, "--conf-extra", str(work / "preload_conf.py")],
            "bin": bin_,
            "jobs": 1,
        },
    }
    for spec in found.values():
        spec["cache"] = [".nbcache"]
    if mystnb is not None:
        found["mystnb-j2"] = {
            "corpus": ["--peer", "mystnb-cache"],
            "bin": mystnb / "bin",
            "jobs": 2,
            "cache": [".jupyter_cache"],
        }
    return found


def environment(work: Path, bin_: Path) -> dict[str, str]:
    """The shared bench's build environment (run_peers.build_env), for ``bin_``'s venv."""
    sys.path.insert(0, str(BENCH))
    try:
        from run_peers import build_env
    finally:
        sys.path.pop(0)
    env = build_env(str(work), bin_.parent.name, None)
    env["PATH"] = str(bin_) + os.pathsep + env["PATH"]
    env["VIRTUAL_ENV"] = str(bin_.parent)
    return env


def corpus(python: Path, project: Path, args: list[str], n: int) -> None:
    command = [str(python), str(BENCH / "make_corpus.py"), str(project), *args, "-n", str(n)]
    subprocess.run([*command, "--force"], check=True, stdout=subprocess.DEVNULL)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(project: Path, spec: dict, env: dict[str, str], log: Path) -> tuple[float, float]:
    """One build: (wall s, CPU s); raises if it failed."""
    command = [str(spec["bin"] / "sphinx-build"), "-b", "html", "-d", "_build/doctrees"]
    command += [".", "_build/html"] + (["-j", str(spec["jobs"])] if spec["jobs"] > 1 else [])
    cpu = _children_cpu()
    start = time.perf_counter()
    with log.open("w") as out:
        code = subprocess.run(command, cwd=project, env=env, stdout=out, stderr=out).returncode
    wall = time.perf_counter() - start
    if code:
        raise SystemExit(f"build failed ({code}), see {log}")
    return wall, _children_cpu() - cpu


def pages(project: Path) -> dict[str, tuple[str, list[int]]]:
    """Each notebook page: its body's text (volatile parts and the project's own folder set
    aside), its images' sizes."""
    html = project / "_build" / "html"
    found = {}
    for page in sorted((html / "notebooks").glob("*.html")):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        body = soup.find(attrs={"role": "main"}) or soup.body
        sizes = []
        for img in body.find_all("img"):
            src = img.get("src", "")
            sizes.append(
                len(src) if src.startswith("data:") else (page.parent / src).stat().st_size
            )
            img["src"] = "<image>"
        text = str(body).replace(str(project), "<project>")
        for pattern, replacement in VOLATILE:
            text = pattern.sub(replacement, text)
        found[page.name] = (text, sizes)
    return found


def compare(work: Path) -> list[str]:
    ours, theirs = (
        pages(work / "nbcache"),
        pages(work / "preload"),
    )
    if not ours:
        return ["no notebook pages to compare"]
    if ours.keys() != theirs.keys():
        return [f"pages differ: {sorted(ours.keys() ^ theirs.keys())}"]
    lines = []
    for name, (text, sizes) in ours.items():
        other_text, other_sizes = theirs[name]
        if sizes != other_sizes:
            lines.append(f"{name}: images {other_sizes} with preload, {sizes} without")
        if text != other_text:
            lines.append(f"{name}: the body differs")
    images = sum(len(s) for _, s in ours.values())
    lines.append(f"compared {len(ours)} pages, {images} images: {len(lines)} difference(s)")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=24, help="notebooks in the corpus")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--mystnb", type=Path, help="a venv with myst-nb (the bench's)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/preload-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    specs = peers(args.work, args.mystnb)
    for name, spec in specs.items():
        corpus(Path(sys.executable), args.work / name, spec["corpus"], args.n)
        spec["env"] = environment(args.work, spec["bin"])
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    print(f"load before: {os.getloadavg()}", flush=True)
    for rep in range(args.reps):
        for name, spec in specs.items():
            project = args.work / name
            for path in ["_build", *spec["cache"]]:
                shutil.rmtree(project / path, ignore_errors=True)
            figures = build(project, spec, spec["env"], args.work / f"{name}.cold.{rep}.log")
            times.setdefault((name, "cold"), []).append(figures)
            print(
                f"rep {rep} {name:9s} cold {figures[0]:6.2f} s {figures[1]:6.2f} CPU-s", flush=True
            )
        for line in compare(args.work):
            print(f"rep {rep} pages: {line}", flush=True)
        for name, spec in specs.items():
            project = args.work / name
            mutate = [sys.executable, str(BENCH / "make_corpus.py"), str(project)]
            mutate += ["--mutate", "code", "--seed", str(100 + rep)]
            change = json.loads(subprocess.run(mutate, check=True, capture_output=True).stdout)
            figures = build(project, spec, spec["env"], args.work / f"{name}.edit.{rep}.log")
            page = (project / change["html"]).read_text()
            if change["expect"] not in page:
                raise SystemExit(f"{name}: the edit is not in {change['html']}")
            times.setdefault((name, "edit"), []).append(figures)
            print(
                f"rep {rep} {name:9s} edit {figures[0]:6.2f} s {figures[1]:6.2f} CPU-s", flush=True
            )
    print(f"load after: {os.getloadavg()}")
    print(f"medians of {args.reps} (wall s, CPU-s; ratio of wall to mystnb-j2's)")
    for (name, scenario), rows in times.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        reference = times.get(("mystnb-j2", scenario))
        ratio = f"{wall / statistics.median(r[0] for r in reference):.2f}x" if reference else ""
        print(f"{name:9s} {scenario:5s} {wall:6.2f} s {cpu:6.2f} CPU-s {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Build one Sphinx project with MyST-NB and with sphinx-nbcache; compare what users get.

Usage::

    python benchmarks/compare_mystnb_book.py PROJECT MYSTNB_PYTHON NBCACHE_PYTHON

``PROJECT`` holds a ``conf.py`` that loads ``myst_nb`` (e.g. Jupyter Book's template after
``jupyter-book config sphinx``). It is copied twice into a temporary folder; in the second
copy ``"myst_nb"`` becomes ``"sphinx_nbcache"`` in ``conf.py`` and nothing else changes. Each
copy is built with ``-b html`` by its interpreter; the script prints the warning count, the
pages, and the images per page of each build, then the pages whose image counts differ.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: Sphinx's own warning lines (a kernel's "[IPKernelApp] WARNING |" lines are not)
WARNING = re.compile(r"\b(WARNING|ERROR|CRITICAL): ")


def build(python: str, src: Path, out: Path) -> tuple[list[str], dict[str, int]]:
    """Build ``src`` into ``out``; the warning lines and the images per page."""
    proc = subprocess.run(
        [python, "-m", "sphinx", "-b", "html", "-q", str(src), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    warnings = [line for line in proc.stderr.splitlines() if WARNING.search(line)]
    if proc.returncode:
        warnings.append(f"build exited with {proc.returncode}: {proc.stderr.strip()[-300:]}")
    pages = {}
    for page in sorted(out.rglob("*.html")):
        rel = page.relative_to(out).as_posix()
        if rel.startswith(("_static/", "_sources/")) or rel in ("genindex.html", "search.html"):
            continue
        pages[rel] = len(re.findall(r"<img\b", page.read_text(encoding="utf-8", errors="replace")))
    return warnings, pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("mystnb_python")
    parser.add_argument("nbcache_python")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory(prefix="compare-mystnb-") as tmp:
        for label, python in (
            ("myst_nb", args.mystnb_python),
            ("sphinx_nbcache", args.nbcache_python),
        ):
            src = Path(tmp) / label
            shutil.copytree(args.project, src, ignore=shutil.ignore_patterns("_build", ".nbcache"))
            conf = src / "conf.py"
            if label == "sphinx_nbcache":
                text = conf.read_text(encoding="utf-8")
                conf.write_text(
                    text.replace("'myst_nb'", "'sphinx_nbcache'").replace(
                        '"myst_nb"', '"sphinx_nbcache"'
                    ),
                    encoding="utf-8",
                )
            results[label] = build(python, src, Path(tmp) / f"{label}-html")
    for label, (warnings, pages) in results.items():
        print(
            f"== {label}: {len(warnings)} warnings, {len(pages)} pages, "
            f"{sum(pages.values())} images"
        )
        for line in warnings:
            print("   ", line)
    (_, mine), (_, theirs) = results["sphinx_nbcache"], results["myst_nb"]
    print("== pages whose image counts differ (myst_nb, sphinx_nbcache)")
    for page in sorted(set(mine) | set(theirs)):
        if mine.get(page) != theirs.get(page):
            print(f"    {page}: {theirs.get(page)} {mine.get(page)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

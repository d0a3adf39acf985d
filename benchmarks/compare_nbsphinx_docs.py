#!/usr/bin/env python3
"""nbsphinx's own documentation built twice: with nbsphinx, and with only the extension swapped.

The drop-in check of issue 9. The doc folder (``doc/`` of the nbsphinx sdist) is copied twice
into a scratch folder; the second copy's ``conf.py`` gets ``"sphinx_nbcache"`` where it lists
``"nbsphinx"``, nothing else. Each copy is built to HTML by its own interpreter (each with its
extension and the doc's requirements installed), and the script prints, for each build, the
warnings and the internal links leading nowhere (a relative ``href`` whose file is missing, or
whose ``#fragment`` is no id of the target page), then the pages whose body text differs a
lot::

    python3 benchmarks/compare_nbsphinx_docs.py /work/peers/nbsphinx-0.9.8/doc \\
        /work/peervenv-links/bin/python /work/peervenv-links-ours/bin/python \\
        --work /tmp/nbsphinx-compare -D nbsphinx_allow_errors=1 \\
        --define-nbcache nbcache_allow_errors=1

Only the standard library is used, so any of the interpreters can run it.
"""

from __future__ import annotations

import argparse
import difflib
import html.parser
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

SKIP_SCAN = ("_static", "_sources", "_downloads", "_images", "_modules", "genindex")


class _Page(html.parser.HTMLParser):
    """The ids, the links and the body text of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self._body_depth = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if a.get("name") and tag == "a":
            self.ids.add(a["name"] or "")
        if tag == "a" and a.get("href") is not None:
            self.hrefs.append(a["href"] or "")
        if tag in ("script", "style"):
            self._skip += 1
        classes = (a.get("class") or "").split()
        if self._body_depth:
            self._body_depth += 1
        elif tag == "div" and ("body" in classes or a.get("role") == "main"):
            self._body_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if self._body_depth:
            self._body_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._body_depth and not self._skip:
            self.text.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def pages_of(outdir: Path) -> dict[str, _Page]:
    found = {}
    for path in sorted(outdir.rglob("*.html")):
        rel = path.relative_to(outdir).as_posix()
        if rel.split("/")[0] in SKIP_SCAN or rel in ("search.html", "genindex.html"):
            continue
        found[rel] = parse(path)
    return found


def broken_links(outdir: Path, pages: dict[str, _Page]) -> list[str]:
    """Relative links whose target file or ``#fragment`` does not exist."""
    broken = []
    for rel, page in pages.items():
        for href in page.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            if parts.path:
                target = (outdir / rel).parent / unquote(parts.path)
                if target.is_dir():
                    target = target / "index.html"
            else:
                target = outdir / rel
            if not target.exists():
                broken.append(f"{rel}: {href} (no file)")
                continue
            fragment = parts.fragment
            if not fragment or target.suffix != ".html":
                continue
            key = target.resolve().relative_to(outdir.resolve()).as_posix()
            ids = pages[key].ids if key in pages else parse(target).ids
            if fragment not in ids and unquote(fragment) not in ids:
                broken.append(f"{rel}: {href} (no id)")
    return broken


def swap_extension(conf: Path) -> None:
    text = conf.read_text(encoding="utf-8")
    new, count = re.subn(r"""(['"])nbsphinx\1""", '"sphinx_nbcache"', text, count=1)
    if not count:
        sys.exit(f"{conf}: no 'nbsphinx' entry to replace in extensions")
    conf.write_text(new, encoding="utf-8")


def build(
    python: str, srcdir: Path, outdir: Path, defines: list[str]
) -> tuple[int, list[str], float]:
    """Build ``srcdir`` to HTML; the return code, the warning lines, the seconds taken."""
    warnings = outdir.parent / f"{outdir.name}-warnings.txt"
    start = time.monotonic()
    command = [python, "-m", "sphinx", "-b", "html", "-q", "-w", str(warnings)]
    command += [f"-D{d}" for d in defines] + [str(srcdir), str(outdir)]
    proc = subprocess.run(
        command,
        cwd=srcdir,
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - start
    lines = warnings.read_text(encoding="utf-8").splitlines() if warnings.exists() else []
    found = [line for line in lines if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)]
    if proc.returncode:
        print(proc.stderr[-2000:], file=sys.stderr)
    return proc.returncode, found, elapsed


def words(page: _Page) -> list[str]:
    return " ".join(page.text).split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("doc", type=Path, help="nbsphinx's doc folder")
    parser.add_argument("nbsphinx_python", help="interpreter with nbsphinx installed")
    parser.add_argument("nbcache_python", help="interpreter with sphinx-nbcache installed")
    parser.add_argument("--work", type=Path, default=Path("/tmp/nbsphinx-compare"))
    parser.add_argument("--show", type=int, default=15, help="broken links listed per build")
    parser.add_argument(
        "--threshold", type=float, default=0.9, help="similarity below which a page is listed"
    )
    parser.add_argument(
        "-D",
        "--define",
        action="append",
        default=[],
        help="a conf value for the nbsphinx build, as sphinx-build -D takes it (offline: "
        "nbsphinx_allow_errors=1, or nbsphinx stops at the first URL a notebook opens; "
        "sphinx-nbcache never stops a build on a failing notebook, and would warn about an "
        "override it does not know)",
    )
    parser.add_argument(
        "--define-nbcache",
        action="append",
        default=[],
        help="a conf value for the sphinx-nbcache build (offline: nbcache_allow_errors=1, "
        "the same as nbsphinx_allow_errors=1 for the other build)",
    )
    args = parser.parse_args()

    if args.work.exists():
        shutil.rmtree(args.work)
    results = {}
    for name, python in (("nbsphinx", args.nbsphinx_python), ("nbcache", args.nbcache_python)):
        src = args.work / name / "doc"
        shutil.copytree(args.doc, src)
        # the docs include the sdist's top-level files (README, CONTRIBUTING, NEWS)
        for path in args.doc.parent.iterdir():
            if path.is_file():
                shutil.copy2(path, src.parent / path.name)
        if name == "nbcache":
            swap_extension(src / "conf.py")
        out = args.work / name / "html"
        defines = args.define if name == "nbsphinx" else args.define_nbcache
        rc, warnings, elapsed = build(python, src, out, defines)
        pages = pages_of(out)
        broken = broken_links(out, pages)
        results[name] = pages
        print(f"== {name}: exit {rc}, {elapsed:.0f} s, {len(pages)} pages")
        print(f"   warnings: {len(warnings)}")
        for line in warnings:
            print("     ", line.replace(str(src), "SRC")[:220])
        print(f"   broken internal links: {len(broken)}")
        for line in broken[: args.show]:
            print("     ", line)

    ref, ours = results["nbsphinx"], results["nbcache"]
    print("== pages whose body text differs (similarity of the words, nbcache/nbsphinx words)")
    for rel in sorted(set(ref) | set(ours)):
        if rel not in ours or rel not in ref:
            print(f"   {rel}: only in {'nbsphinx' if rel in ref else 'nbcache'}")
            continue
        a, b = words(ref[rel]), words(ours[rel])
        ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() if a or b else 1.0
        if ratio < args.threshold:
            print(f"   {rel}: {ratio:.2f} ({len(b)}/{len(a)} words)")


if __name__ == "__main__":
    main()

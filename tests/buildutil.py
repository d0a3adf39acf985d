"""Helpers for tests that build real Sphinx projects with real kernels."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from sphinx_nbcache.sphinxext.rendering.ansi import strip_ansi

ANSI = re.compile(r"\x1b\[[0-9;]*m")


#: the kernelspec of the notebooks tests write
SPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
#: a code cell that counts its notebook's run in the log ``$NBCACHE_TEST_LOG``
COUNT = "import os\nopen(os.environ['NBCACHE_TEST_LOG'], 'a').write('{name}\\n')"


def executed_since(log: Path) -> list[str]:
    """Notebooks executed since the last call, as counted by the kernels in ``log``."""
    names = sorted(log.read_text().split())
    log.write_text("")
    return names


def counted_notebook(folder: Path, name: str, *cells: str) -> Path:
    """Write ``folder/name.ipynb``: a title, the :data:`COUNT` cell, then ``cells``."""
    import nbformat
    from nbformat import v4

    nb = v4.new_notebook(metadata={"kernelspec": SPEC})
    nb.cells = [v4.new_markdown_cell(f"# {name}"), v4.new_code_cell(COUNT.format(name=name))]
    nb.cells += [v4.new_code_cell(code) for code in cells]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@dataclass
class Project:
    """A copy of a test root, with the log its kernels write their names to."""

    src: Path
    log: Path

    def executed(self) -> list[str]:
        """Notebooks executed since the last call, as counted by the kernels themselves."""
        return executed_since(self.log)

    @property
    def html(self) -> Path:
        return self.src / "_build" / "html"

    def page(self, name: str, builddir: Path | None = None) -> BeautifulSoup:
        base = builddir or self.html
        return BeautifulSoup((base / f"{name}.html").read_text("utf-8"), "html.parser")

    def text(self, name: str, builddir: Path | None = None) -> str:
        """The visible text of a page's body, whitespace folded."""
        body = self.page(name, builddir).find(attrs={"role": "main"})
        assert body is not None
        return " ".join(body.get_text(" ").split())

    def report(self, builddir: Path | None = None) -> dict[str, dict[str, Any]]:
        base = builddir or self.html
        rows = json.loads((base / "nbcache-report.json").read_text())["notebooks"]
        return {row["docname"]: row for row in rows}


def write_later(path: Path, text: str) -> None:
    """Write ``text`` with an mtime later than any build so far, whatever the file system."""
    path.write_text(text)
    later = time.time() + 2
    os.utime(path, (later, later))


def copy_project(rootdir: Path, name: str, tmp_path: Path, monkeypatch: Any) -> Project:
    src = tmp_path / "src"
    shutil.copytree(rootdir / f"test-{name}", src)
    log = tmp_path / "executed.log"
    log.write_text("")
    monkeypatch.setenv("NBCACHE_TEST_LOG", str(log))
    return Project(src, log)


def as_fresh_clone(project: Project, artefacts: list[str]) -> None:
    """What a fresh clone lacks with the cache kept: the files a run wrote, and the build."""
    for rel in artefacts:
        (project.src / rel).unlink()
    shutil.rmtree(project.src / "_build")


def build(make_app: Any, src: Path, buildername: str = "html", **kwargs: Any) -> Any:
    """Build once with a fresh application (the environment is reloaded from disk)."""
    app = make_app(buildername, srcdir=src, **kwargs)
    try:
        app.build()
    finally:
        app.cleanup()  # unregister docutils nodes so that the next app starts clean
    return app


def warnings_of(app: Any) -> list[str]:
    """The build's output on stderr, a line each, escape codes stripped, the source as ``SRC``."""
    text = strip_ansi(app.warning.getvalue()).replace(str(app.srcdir), "SRC")
    return [line for line in text.splitlines() if line.strip()]


def soup(app: Any, page: str) -> BeautifulSoup:
    """The HTML page ``page`` (a path below the output folder) of a build."""
    return BeautifulSoup((Path(app.outdir) / page).read_text(encoding="utf-8"), "html.parser")


def warnings(app: Any) -> list[str]:
    """The build's warning lines, colour codes stripped."""
    text = ANSI.sub("", app.warning.getvalue())
    return [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line]


def reread(app: Any) -> tuple[int, int]:
    """(added, changed) documents Sphinx read in this build."""
    match = re.search(r"(\d+) added, (\d+) changed", ANSI.sub("", app.status.getvalue()))
    assert match, app.status.getvalue()
    return int(match.group(1)), int(match.group(2))

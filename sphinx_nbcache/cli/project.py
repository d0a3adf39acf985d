"""Read a Sphinx project (its ``conf.py``) for the project-wide commands.

A Sphinx application is created with the ``dummy`` builder and throw-away output folders,
so that the project's configuration, extensions and exclusions are exactly those of a
build; nothing is written to the project's own build folder.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click


@dataclass
class Project:
    """A loaded Sphinx project and its notebook cache."""

    app: Any
    srcdir: Path
    cache: Any  # NotebookCache
    planner: Any  # sphinxext.plan.Planner

    def notebook_docs(self) -> list[tuple[str, Path]]:
        """``(docname, source path)`` of every document, sorted."""
        env = self.app.env
        return [(d, Path(env.doc2path(d))) for d in sorted(env.found_docs)]


@contextmanager
def load_project(sourcedir: Path, confdir: Path | None = None) -> Iterator[Project]:
    """Load the Sphinx project in ``sourcedir`` (``conf.py`` there unless ``confdir``)."""
    from sphinx.application import Sphinx
    from sphinx.errors import SphinxError

    from sphinx_nbcache.engine import NotebookCache
    from sphinx_nbcache.sphinxext.plan import Planner
    from sphinx_nbcache.sphinxext.snapshot import nbcache_config

    srcdir = sourcedir.absolute()
    confdir = (confdir or sourcedir).absolute()
    if not (confdir / "conf.py").is_file():
        raise click.ClickException(
            f"{confdir}: no conf.py here; "
            "give the Sphinx source folder (e.g. `nbcache status docs`)"
        )
    scratch = Path(tempfile.mkdtemp(prefix="nbcache-project-"))
    warnings = io.StringIO()
    try:
        try:
            app = Sphinx(
                srcdir,
                confdir,
                scratch / "out",
                scratch / "doctrees",
                "dummy",
                status=None,
                warning=warnings,
                freshenv=True,
            )
            app.env.find_files(app.config, app.builder)
        except SphinxError as exc:
            raise click.ClickException(f"{confdir / 'conf.py'}: {exc}") from None
        cache = NotebookCache(nbcache_config(app).cache_path, root=srcdir)
        planner = Planner(app.config, srcdir, app.confdir, cache)
        try:
            yield Project(app, srcdir, cache, planner)
        finally:
            cache.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

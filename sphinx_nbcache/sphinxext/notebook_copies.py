"""Each executed notebook beside its page in HTML output, where nbsphinx puts it.

nbsphinx copies every notebook, with its outputs, to ``<outdir>/<docname>.ipynb``, and
projects link to it (nbsphinx's own prolog: "This page was generated from
``{{ env.docname }}.ipynb``", download links in markdown cells). The notebook as rendered is
already written to ``jupyter_execute/`` (see :mod:`.mystnb_roles`); here it is copied next to
its page at the end of an HTML build, for the notebooks of the current environment only.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from .mystnb_roles import executed_notebook_path

logger = logging.getLogger(__name__)


def _copies(app: Sphinx) -> Iterator[tuple[Path, Path]]:
    outdir = Path(app.outdir)
    for docname in sorted(app.env.all_docs):
        source = executed_notebook_path(app.env, docname)
        if source is not None and source.is_file():
            yield source, outdir.joinpath(*docname.split("/")[:-1], source.name)


def _same_file(source: Path, target: Path) -> bool:
    try:
        a, b = source.stat(), target.stat()
    except FileNotFoundError:
        return False
    return (a.st_size, a.st_mtime_ns) == (b.st_size, b.st_mtime_ns)


def copy_notebooks(app: Sphinx) -> list[Any]:
    """``html-collect-pages``: copy the executed notebooks into the output folder."""
    if app.builder.name.startswith("epub"):
        return []  # an e-book holds pages, not notebooks (epub warns on unknown file types)
    for source, target in _copies(app):
        try:
            if _same_file(source, target):
                continue  # a no-op rebuild copies nothing
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)  # keeps the mtime that _same_file compares
        except OSError as exc:
            logger.warning(
                "cannot copy the notebook %s to %s: %s",
                source,
                target,
                exc,
                type="nbcache",
                subtype="output",
            )
    return []  # no pages of our own


def setup_notebook_copies(app: Sphinx) -> None:
    """Register the copy with the HTML builders."""
    app.connect("html-collect-pages", copy_notebooks)

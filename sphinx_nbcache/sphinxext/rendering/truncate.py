"""Long text outputs cut to ``nbcache_output_limit`` characters, the full text a download.

A notebook printing 100 MB would otherwise put 100 MB into the pickled doctree, the page and
``searchindex.js``. The cache keeps the whole output; only what is rendered is cut: the page
shows the first ``limit`` characters, then a marker with a link to the full text, written (as
images are, see :mod:`.images`) once by content and atomically under
``<doctreedir>/nbcache-outputs/`` and referenced so that Sphinx copies it to ``_downloads``.
One warning (``nbcache.output``) per notebook says so.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes

from sphinx_nbcache.engine import atomic_write_bytes

from .images import source_uri

FOLDER_NAME = "nbcache-outputs"


def output_folder(doctreedir: str | os.PathLike[str]) -> Path:
    """The folder full texts are written to, for a build whose doctrees are in ``doctreedir``."""
    return Path(doctreedir) / FOLDER_NAME


def effective_limit(value: Any) -> int | None:
    """The limit in characters of a (validated) ``nbcache_output_limit``; ``None`` for none.

    ``0`` means none too: ``sphinx-build -D`` turns its text into an int, and cannot give
    ``None``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def notebook_limit(conf_value: Any, metadata: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """The limit of one notebook: ``conf.py``'s, or its metadata's ``nbcache: {output_limit}``.

    :returns: the limit, and the problem with the metadata's value (then ignored), if any.
    """
    own = metadata.get("nbcache")
    if not isinstance(own, Mapping) or "output_limit" not in own:
        return effective_limit(conf_value), None
    value = own["output_limit"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        return effective_limit(conf_value), (
            f"output_limit {value!r} in the notebook metadata is not a number of characters "
            "or null; nbcache_output_limit applies"
        )
    return effective_limit(value), None


def write_full_text(folder: Path, text: str, suffix: str = ".txt") -> Path:
    """Write ``text`` (UTF-8) to ``folder`` under its SHA-256 name, once, atomically."""
    data = text.encode("utf-8")
    path = folder / (hashlib.sha256(data).hexdigest() + suffix)
    if not path.exists():
        atomic_write_bytes(path, data)
    return path


def marker(shown: int, total: int, uri: str) -> nodes.paragraph:
    """``… output truncated: N of M characters shown; full text: <download>``."""
    link = addnodes.download_reference(
        "", "", refdoc="", reftarget=uri, refexplicit=True, refwarn=False
    )
    link += nodes.literal("", "full text", classes=["xref", "download"])
    return nodes.paragraph(
        "",
        "",
        nodes.Text(f"\u2026 output truncated: {shown:,} of {total:,} characters shown; "),
        link,
        classes=["nbcache-truncated"],
    )


class OutputLimit:
    """For one document: cut texts over the limit, write their full text, warn once."""

    def __init__(
        self,
        limit: int | None,
        folder: Path,
        srcdir: str | os.PathLike[str],
        warn: Callable[[str, str, int], None],
    ) -> None:
        self.limit = limit
        self.folder = folder
        self.srcdir = srcdir
        self.warn = warn
        self.warned = False

    def over(self, text: str) -> bool:
        """Whether ``text`` is longer than the limit."""
        return self.limit is not None and len(text) > self.limit

    def cut(self, text: str, line: int, suffix: str = ".txt") -> tuple[str, nodes.paragraph]:
        """The first ``limit`` characters of ``text`` and the marker that links its whole.

        Only call when :meth:`over` is true.
        """
        assert self.limit is not None
        path = write_full_text(self.folder, text, suffix)
        if not self.warned:
            self.warned = True
            self.warn(
                f"an output of {len(text):,} characters is shown cut to its first "
                f"{self.limit:,} (nbcache_output_limit), with a link to the full text; "
                "other long outputs of this notebook are cut without a warning. "
                "Raise nbcache_output_limit (None for no limit) to show them whole",
                "output",
                line,
            )
        return text[: self.limit], marker(self.limit, len(text), source_uri(self.srcdir, path))

"""Which source documents are notebooks, and in which format."""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

from sphinx_nbcache.engine import text_has_notebook_front_matter

from .snapshot import NbcacheConfig, nbcache_config

#: The Sphinx file type our parser handles.
FILETYPE = "jupyter_notebook"


def register_suffixes(app: Sphinx, config: Config) -> None:
    """``config-inited``: make ``.ipynb`` and the custom formats' suffixes sources.

    ``.md`` stays myst-parser's; our parser takes over the ``markdown`` file type and renders
    plain pages exactly as myst-parser does.
    """
    suffixes = {".ipynb": FILETYPE}
    suffixes.update({suffix: FILETYPE for suffix in nbcache_config(app).custom_formats})
    for suffix, filetype in suffixes.items():
        if suffix not in config.source_suffix:
            app.add_source_suffix(suffix, filetype, override=True)


def notebook_format(
    config: NbcacheConfig | Config, path: str | os.PathLike[str], text: str | None = None
) -> str | None:
    """The reader format of a source document, or ``None`` when it is not a notebook.

    :param config: this run's snapshot (a ``Config`` stands for its snapshot).
    :param path: the source file.
    :param text: its content, when already read (saves a read for ``.md`` files).
    """
    name = Path(path).name.lower()
    if name.endswith(".ipynb"):
        return "ipynb"
    # longest suffix first, so ".pct.py" wins over a hypothetical ".py"
    formats = nbcache_config(config).custom_formats
    for suffix in sorted(formats, key=len, reverse=True):
        if name.endswith(suffix.lower()):
            return formats[suffix]
    if name.endswith((".md", ".markdown")):
        if text is None:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
        return "md:myst" if text_has_notebook_front_matter(text) else None
    return None


def exclude_cache_folder(app: Sphinx, config: Config) -> None:
    """``config-inited``: never read the cache folder's notebooks as sources."""
    folder = nbcache_config(app).cache_path.absolute()
    try:
        rel = folder.relative_to(Path(app.srcdir).absolute()).as_posix()
    except ValueError:
        return  # outside the source folder: nothing to exclude
    patterns = list(config.exclude_patterns)
    for pattern in (rel, rel + "/**"):
        if pattern not in patterns:
            patterns.append(pattern)
    config.exclude_patterns = patterns

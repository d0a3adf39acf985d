"""sphinx-nbcache: execute only the notebooks whose code changed, and cache every result.

``import sphinx_nbcache`` stays cheap: Sphinx is imported only when Sphinx calls :func:`setup`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension with Sphinx (``extensions = ["sphinx_nbcache"]``)."""
    from sphinx_nbcache.sphinxext import setup as _setup

    return _setup(app)

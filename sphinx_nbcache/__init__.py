"""sphinx-nbcache: execute only the notebooks whose code changed, and cache every result.

``import sphinx_nbcache`` stays cheap: Sphinx is imported only when Sphinx calls :func:`setup`,
and ``from sphinx_nbcache import glue`` (in a kernel) imports neither Sphinx nor docutils.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_nbcache.scrapbook import glue

__all__ = ["__version__", "glue", "setup"]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension with Sphinx (``extensions = ["sphinx_nbcache"]``)."""
    from sphinx_nbcache.sphinxext import setup as _setup

    return _setup(app)


def __getattr__(name: str) -> Any:
    # ``from sphinx_nbcache import glue`` in a kernel: no Sphinx, IPython only when called
    if name == "glue":
        from sphinx_nbcache.scrapbook import glue

        return glue
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The Sphinx integration: the only layer that imports Sphinx, docutils and myst-parser."""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

from sphinx_nbcache import __version__

from . import config, sources


def setup(app: Sphinx) -> dict[str, Any]:
    """Set up sphinx-nbcache (called through ``sphinx_nbcache.setup``)."""
    app.setup_extension("myst_parser")
    config.register(app)
    app.connect("config-inited", config.validate, priority=400)
    app.connect("config-inited", sources.register_suffixes, priority=450)

    from .rendering import setup_rendering

    setup_rendering(app)
    return {
        "version": __version__,
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }

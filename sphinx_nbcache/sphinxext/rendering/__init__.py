"""Rendering notebooks into docutils nodes (placeholder until the rendering work lands)."""

from __future__ import annotations

from sphinx.application import Sphinx


def setup_rendering(app: Sphinx) -> None:
    """Register the notebook parser, nodes, post-transforms and static files."""

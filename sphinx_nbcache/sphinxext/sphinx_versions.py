"""What differs between the supported Sphinx versions (7.3 to 9.x), in one place.

- The builder, seen from a post-transform: Sphinx 7.3-8.x reach it through
  ``SphinxTransform.app.builder``; Sphinx 9 deprecates ``.app`` (removal in 11) and has only
  the private ``env._builder_cls``. Public on every version: ``app.builder`` at
  ``builder-inited``, whose name and format :func:`remember_builder` keeps on the environment
  (forked ``-j`` writers inherit it).
- What ``conf.py`` itself set, including values no loaded extension registers (a MyST-NB or
  nbsphinx value after the switch): no version has a public accessor; ``Config._raw_config``
  holds it on 7.3-9.x (setup.cfg caps Sphinx below 10 until a new major is tried).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment


@dataclass(frozen=True)
class BuilderInfo:
    """The current builder's ``name`` (``html``, ``latex`` ...) and ``format``."""

    name: str
    format: str


def remember_builder(app: Sphinx) -> None:
    """``builder-inited``: keep the builder's name and format for the post-transforms."""
    info = BuilderInfo(app.builder.name, app.builder.format)
    setattr(app.env, "nbcache_builder", info)  # noqa: B010 - an attribute Sphinx does not declare


def current_builder(env: BuildEnvironment) -> BuilderInfo:
    """The builder of this build (set by :func:`remember_builder`)."""
    return getattr(env, "nbcache_builder", BuilderInfo("", ""))


def conf_py_values(config: Config) -> dict[str, Any]:
    """The values ``conf.py`` set, registered or not (see the module docstring)."""
    raw = getattr(config, "_raw_config", None)
    return raw if isinstance(raw, dict) else {}

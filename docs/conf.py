# Configuration file for the Sphinx documentation builder.
#
# The manual of sphinx-nbcache, built by sphinx-nbcache itself: the gallery notebooks in
# examples/ are executed during the build and cached in .nbcache/ next to this file.

import sys
from pathlib import Path

import sphinx_nbcache

# our local extension: the tables of options and commands, generated from the code
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

# -- Project information -----------------------------------------------------
project = "sphinx-nbcache"
copyright = "2026, sphinx-nbcache developers"
author = "sphinx-nbcache developers"
release = sphinx_nbcache.__version__
version = ".".join(release.split(".")[:2])

# -- General configuration ---------------------------------------------------
extensions = [
    "sphinx_nbcache",
    "nbcache_docs",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- sphinx-nbcache ----------------------------------------------------------
# The defaults suit this manual; two values are spelled out as examples.
nbcache_execution_mode = "cache"
nbcache_timeout = 60

# -- Options for HTML output -------------------------------------------------
html_theme = "alabaster"
html_theme_options = {
    "description": "Execute only the notebooks whose code changed",
    "fixed_sidebar": True,
}
html_title = f"sphinx-nbcache {release}"

extensions = ["sphinx_nbcache"]
nbcache_execution_mode = "off"
exclude_patterns = ["_build"]
# the epub builder warns without these
project = "nbsphinx links"
copyright = "2026, the tests"
version = "1.0"

import os

extensions = ["sphinx_nbcache"]
exclude_patterns = ["_build"]
# no nbcache_execution_mode on purpose: this root tests the default (auto)
nbcache_env = {"NBCACHE_TEST_LOG": os.environ.get("NBCACHE_TEST_LOG", os.devnull)}

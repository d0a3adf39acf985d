import os

extensions = ["sphinx_nbcache"]
exclude_patterns = ["_build"]
numfig = True
nbcache_execution_mode = "cache"
nbcache_env = {"NBCACHE_TEST_LOG": os.environ.get("NBCACHE_TEST_LOG", os.devnull)}

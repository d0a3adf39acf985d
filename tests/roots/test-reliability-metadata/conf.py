import os

extensions = ["sphinx_nbcache"]
exclude_patterns = ["_build"]
nbcache_execution_mode = "cache"
# every kernel appends its notebook's name here, so tests count real executions
nbcache_env = {"NBCACHE_TEST_LOG": os.environ.get("NBCACHE_TEST_LOG", os.devnull)}

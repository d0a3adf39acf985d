import os

extensions = ["sphinx_nbcache"]
exclude_patterns = ["_build"]
nbcache_env = {"NBCACHE_TEST_LOG": os.environ.get("NBCACHE_TEST_LOG", os.devnull)}
nbcache_execution_mode = "cache"
# one at a time, in name order: a_first is stored (and uploaded) before b_second runs
nbcache_jobs = 1

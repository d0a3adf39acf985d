import os

extensions = ["sphinx_nbcache"]
exclude_patterns = ["_build"]
nbcache_execution_mode = "cache"
# every kernel appends its notebook's name here, so tests count real executions; the two
# markers let a test edit the notebook while its kernel runs
nbcache_env = {
    name: os.environ.get(name, os.devnull)
    for name in ("NBCACHE_TEST_LOG", "NBCACHE_TEST_STARTED", "NBCACHE_TEST_GO")
}

extensions = ["sphinx_nbcache"]
nbcache_execution_mode = "off"

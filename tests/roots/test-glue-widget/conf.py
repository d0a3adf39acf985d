extensions = ["sphinx_nbcache"]
nbcache_execution_mode = "off"  # the notebook's stored outputs and widget state

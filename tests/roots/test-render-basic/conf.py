extensions = ["sphinx_nbcache"]

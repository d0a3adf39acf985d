# conf.py lines for the sphinx-nbcache peer of ../shared/bench/run_peers.py
extensions = ["sphinx_nbcache"]
# the cache lives next to conf.py in .nbcache/ (the default), outside _build
nbcache_timeout = 300
